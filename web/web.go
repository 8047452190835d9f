package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/format"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/trainer"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Page is what every page template gets: its title, the navigation entry
// to mark, and the page's own data.
type Page struct {
	Title   string
	Nav     string
	Data    any
	Version string
}

// Renderer renders the UI's pages.
type Renderer struct {
	tmpl *template.Template
}

// New parses the embedded templates.
func New() (*Renderer, error) {
	t, err := template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Renderer{tmpl: t}, nil
}

// Render writes page (a template name) with p, rendering it whole before
// writing so that an error never leaves half a page.
func (r *Renderer) Render(w http.ResponseWriter, status int, page string, p Page) error {
	p.Version = featurestore.Version
	var b bytes.Buffer
	if err := r.tmpl.ExecuteTemplate(&b, page, p); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := io.Copy(w, &b)
	return err
}

// Static serves the embedded stylesheet and script.
func Static() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	return http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
}

// section is a titled list of nodes, for the impact page.
type section struct {
	Title string
	Nodes []*lineage.Node
}

var funcs = template.FuncMap{
	"short": format.ShortID,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"ttl":     format.TTL,
	"base":    filepath.Base,
	"nulls":   format.Nulls,
	"num":     format.Num,
	"slug":    func(s string) string { return strings.ReplaceAll(strings.ToLower(s), " ", "-") },
	"gate":    gateText,
	"join":    strings.Join,
	"mlflow":  mlflowHTML,
	"nodeurl": NodeURL,
	"attrs":   attrsText,
	"section": func(title string, nodes []*lineage.Node) section { return section{title, nodes} },
	"plural":  format.Plural,
}

func gateText(g trainer.Gate) string {
	switch {
	case !g.Set():
		return "-"
	case g.Passed:
		return "passed"
	}
	return "failed: " + strings.Join(g.Failed, ", ")
}

// mlflowHTML is a run's MLflow state, linked to the MLflow run when its
// tracking URI is known.
func mlflowHTML(m trainer.MLflowRef) template.HTML {
	text := template.HTMLEscapeString(m.State)
	if m.RunID == "" {
		return template.HTML(text)
	}
	if strings.HasPrefix(m.TrackingURI, "http://") || strings.HasPrefix(m.TrackingURI, "https://") {
		href := strings.TrimRight(m.TrackingURI, "/") + "/#/experiments/" + m.ExperimentID + "/runs/" + m.RunID
		return template.HTML(fmt.Sprintf(`%s <a href="%s">%s</a>`, text, template.HTMLEscapeString(href), template.HTMLEscapeString(format.ShortID(m.RunID))))
	}
	return template.HTML(text + " " + template.HTMLEscapeString(format.ShortID(m.RunID)))
}

func attrsText(n *lineage.Node) string { return strings.Join(n.AttrPairs(" "), ", ") }
