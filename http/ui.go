package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/profile"
	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/web"
)

// uiPage handles one page of the web UI: it returns the template to render
// and the page.
type uiPage func(s *Server, r *request) (string, web.Page, error)

// mountUI serves the web UI at / over the same service as the API.
func (s *Server) mountUI(ui *web.Renderer) {
	s.ui = ui
	s.mux.Handle("GET /static/", web.Static())
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/features", http.StatusFound) })
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("GET /profiles", s.uiAuth(s.profileReport))
	s.mux.HandleFunc("GET /node", s.uiAuth(s.nodeRedirect))
	for path, page := range map[string]uiPage{
		"/features": uiFeatures, "/features/{name}": uiFeature, "/diff": uiDiff, "/feature-sets": uiSets,
		"/datasets": uiDatasets, "/datasets/{id}": uiDataset, "/runs": uiRuns, "/runs/{id}": uiRun,
		"/compare": uiCompare, "/lineage": uiLineage, "/impact": uiImpact,
	} {
		s.mux.HandleFunc("GET "+path, s.uiAuth(s.render(page)))
	}
}

// uiAuth lets a request through when it carries a read token (a header or
// the UI's cookie); otherwise it sends the browser to the login page.
func (s *Server) uiAuth(next func(w http.ResponseWriter, r *request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := s.tokens.identify(r)
		if err != nil || who.role < RoleRead {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.o.RequestTimeout)
		defer cancel()
		next(w, &request{Request: r.WithContext(ctx), who: who, w: w})
	}
}

// render runs a page handler and renders its page, or the error page.
func (s *Server) render(page uiPage) func(w http.ResponseWriter, r *request) {
	return func(w http.ResponseWriter, r *request) {
		name, p, err := page(s, r)
		if err == nil {
			err = s.ui.Render(w, http.StatusOK, name, p)
		}
		if err != nil {
			s.renderError(w, err)
		}
	}
}

func (s *Server) renderError(w http.ResponseWriter, err error) {
	b := errorBody(err)
	code := status(b.Code)
	if s.ui.Render(w, code, "error", web.Page{Title: errorTitle(code), Data: b}) != nil {
		http.Error(w, b.Message, code)
	}
}

// errorTitle is an error page's title: what happened, in a few words.
func errorTitle(code int) string {
	switch code {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden, http.StatusUnauthorized:
		return "Not allowed"
	case http.StatusBadRequest:
		return "Cannot do that"
	case http.StatusConflict:
		return "In conflict"
	}
	return "Something went wrong"
}

type featuresPage struct {
	Query string
	Heads []featurestore.FeatureHead
}

func uiFeatures(s *Server, r *request) (string, web.Page, error) {
	heads, err := s.app.Features(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	page := featuresPage{Query: q, Heads: []featurestore.FeatureHead{}}
	for _, h := range heads {
		text := strings.ToLower(h.Name + " " + h.Metadata.Description + " " + h.Metadata.Owner)
		if q == "" || strings.Contains(text, strings.ToLower(q)) {
			page.Heads = append(page.Heads, h)
		}
	}
	return "features", web.Page{Title: "Features", Nav: "features", Data: page}, err
}

type featurePage struct{ Detail *app.FeatureDetail }

func uiFeature(s *Server, r *request) (string, web.Page, error) {
	d, err := s.app.Feature(r.Context(), r.PathValue("name"))
	if err != nil {
		return "", web.Page{}, err
	}
	return "feature", web.Page{Title: d.Name, Nav: "features", Data: featurePage{d}}, nil
}

func uiDiff(s *Server, r *request) (string, web.Page, error) {
	d, err := s.app.Diff(r.Context(), r.URL.Query().Get("a"), r.URL.Query().Get("b"))
	if err != nil {
		return "", web.Page{}, err
	}
	return "diff", web.Page{Title: "Diff of " + d.A.Name, Nav: "features", Data: d}, nil
}

func uiSets(s *Server, r *request) (string, web.Page, error) {
	sets, err := s.app.FeatureSets(r.Context())
	return "sets", web.Page{Title: "Feature sets", Nav: "sets", Data: sets}, err
}

func uiDatasets(s *Server, r *request) (string, web.Page, error) {
	ds, err := s.app.Datasets(r.Context())
	return "datasets", web.Page{Title: "Datasets", Nav: "datasets", Data: ds}, err
}

type datasetPage struct {
	Dataset *featurestore.Dataset
	Runs    web.RunTable
	Node    string
	Profile bool
}

func uiDataset(s *Server, r *request) (string, web.Page, error) {
	ctx := r.Context()
	d, err := s.app.Dataset(ctx, r.PathValue("id"))
	if err != nil {
		return "", web.Page{}, err
	}
	all, err := s.app.Runs(ctx)
	if err != nil {
		return "", web.Page{}, err
	}
	page := datasetPage{Dataset: d, Node: string(lineage.ID(lineage.Dataset, d.ID.String()))}
	var runs []trainer.Run
	for _, run := range all {
		if run.Dataset.ID == d.ID.String() {
			runs = append(runs, run)
		}
	}
	page.Runs = web.NewRunTable(runs)
	p, err := s.app.NodeProfile(ctx, page.Node)
	page.Profile = p != nil
	return "dataset", web.Page{Title: "Dataset " + d.ID.Short(), Nav: "datasets", Data: page}, err
}

func uiRuns(s *Server, r *request) (string, web.Page, error) {
	runs, err := s.app.Runs(r.Context())
	return "runs", web.Page{Title: "Runs", Nav: "runs", Data: web.NewRunTable(runs)}, err
}

type runPage struct {
	Run         *trainer.Run
	Report      *web.RunReport
	Children    *web.RunTable
	CoefChart   any
	SweepCharts any
}

func uiRun(s *Server, r *request) (string, web.Page, error) {
	d, err := s.app.Run(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", web.Page{}, err
	}
	page := runPage{Run: d.Run, Report: web.NewRunReport(d.Run)}
	if len(d.Children) > 0 {
		var children []trainer.Run
		for _, c := range d.Children {
			children = append(children, *c)
		}
		t := web.NewRunTable(children)
		page.Children = &t
	}
	if page.CoefChart, err = web.CoefChart(d.Run); err != nil {
		return "", web.Page{}, err
	}
	if page.SweepCharts, err = web.SweepCharts(d.Children, d.Run.SelectedMetric()); err != nil {
		return "", web.Page{}, err
	}
	title := "Run " + d.Run.ID.Short()
	if len(d.Children) > 0 {
		title = "Sweep " + d.Run.ID.Short()
	}
	return "run", web.Page{Title: title, Nav: "runs", Data: page}, nil
}

func uiCompare(s *Server, r *request) (string, web.Page, error) {
	ids := r.URL.Query()["run"]
	if len(ids) < 2 {
		return "", web.Page{}, featurestore.Errorf(featurestore.EINVALID, "pick two runs or more to compare").
			WithHint("tick runs in a runs table, then compare")
	}
	cmp, err := s.app.Compare(r.Context(), ids)
	return "compare", web.Page{Title: "Runs side by side", Nav: "runs", Data: cmp}, err
}

type lineagePage struct {
	Action, ID   string
	Direction    lineage.Direction
	Depth, Nodes int
	SVG          any
	Impact       *lineage.Impact
}

func uiLineage(s *Server, r *request) (string, web.Page, error) {
	q := r.URL.Query()
	page := lineagePage{Action: "/lineage", ID: q.Get("id"), Direction: lineage.Upstream, Depth: 10}
	if d, err := lineage.ParseDirection(q.Get("direction")); err == nil {
		page.Direction = d
	}
	if d, err := strconv.Atoi(q.Get("depth")); err == nil && d > 0 {
		page.Depth = min(d, 50)
	}
	p := web.Page{Title: "Lineage", Nav: "lineage", Data: &page}
	if page.ID == "" {
		return "lineage", p, nil
	}
	trees, err := s.app.Lineage(r.Context(), app.LineageRequest{ID: page.ID, Direction: page.Direction, Depth: page.Depth})
	if err != nil {
		return "", p, err
	}
	g := web.NewGraph(trees, page.Direction)
	page.Nodes = len(g.Nodes)
	p.Title = "Lineage of " + page.ID
	page.SVG, err = g.SVG(r.Context(), web.NodeURL)
	return "lineage", p, err
}

func uiImpact(s *Server, r *request) (string, web.Page, error) {
	page := lineagePage{Action: "/impact", ID: r.URL.Query().Get("id")}
	p := web.Page{Title: "Impact", Nav: "impact", Data: &page}
	if page.ID == "" {
		return "lineage", p, nil
	}
	ctx := r.Context()
	imp, err := s.app.Impact(ctx, page.ID)
	if err != nil {
		return "", p, err
	}
	trees, err := s.app.Lineage(ctx, app.LineageRequest{ID: page.ID, Direction: lineage.Downstream, Depth: 50})
	if err != nil {
		return "", p, err
	}
	g := web.NewGraph(trees, lineage.Downstream)
	for _, part := range [][]*lineage.Node{imp.Models, imp.Runs, imp.Sweeps, imp.Datasets, imp.Features, imp.Sets} {
		for _, n := range part {
			g.Highlight[n.ID] = true
		}
	}
	page.Impact, page.Nodes = imp, len(g.Nodes)
	p.Title = "Impact of changing " + page.ID
	page.SVG, err = g.SVG(ctx, web.NodeURL)
	return "lineage", p, err
}

// profileReport serves the HTML report of the profile kept with a node.
func (s *Server) profileReport(w http.ResponseWriter, r *request) {
	p, err := s.app.NodeProfile(r.Context(), r.URL.Query().Get("id"))
	if err == nil && p == nil {
		err = featurestore.Errorf(featurestore.ENOTFOUND, "no profile is kept with %s", r.URL.Query().Get("id")).
			WithHint("fs profile on a registered source or an fs dataset keeps one")
	}
	if err != nil {
		s.renderError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	profile.HTML(w, p)
}

// nodeRedirect sends a node without a page of its own to the lineage
// from it, and the others to their page.
func (s *Server) nodeRedirect(w http.ResponseWriter, r *request) {
	id := lineage.NodeID(r.URL.Query().Get("id"))
	target := "/lineage?direction=downstream&id=" + url.QueryEscape(string(id))
	switch id.Kind() {
	case lineage.FeatureSet:
		target = "/feature-sets"
	case lineage.Dataset:
		target = "/datasets/" + url.PathEscape(id.Key())
	case lineage.Run:
		target = "/runs/" + url.PathEscape(id.Key())
	case lineage.ModelVersion:
		target = "/lineage?id=" + url.QueryEscape(string(id))
	case lineage.Snapshot:
		if p, err := s.app.NodeProfile(r.Context(), string(id)); err == nil && p != nil {
			target = "/profiles?id=" + url.QueryEscape(string(id)) // a source's profile says most about it
		}
	}
	http.Redirect(w, r.Request, target, http.StatusFound)
}
