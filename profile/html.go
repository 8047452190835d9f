package profile

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// HTML writes the profile as one self-contained page: inline SVG
// histograms, a correlation heatmap and the warnings; no network.
func HTML(w io.Writer, p *Profile) error {
	return page.Execute(w, p)
}

var page = template.Must(template.New("profile").Funcs(template.FuncMap{
	"hist":    histSVG,
	"heatmap": heatmapSVG,
	"num":     fmtNum,
	"pct":     sharePct,
	"mulq":    func(q float64) float64 { return q * 100 },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fs profile: {{.Path}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.warn li{margin:.2em 0}.cols{display:flex;flex-wrap:wrap;gap:1.5em}.col{border:1px solid #ddd;padding:.6em;border-radius:6px}
h2{margin-top:1.5em}small{color:#666}
</style></head><body>
<h1>Profile of {{.Path}}</h1>
<p>{{.Rows}} rows, {{len .Columns}} columns{{with .Table.TimeMin}}; {{$.Table.TimestampColumn}} from {{.}} to {{$.Table.TimeMax}}{{end}}.</p>
<h2>Warnings</h2>
{{if .Warnings}}<ol class="warn">{{range .Warnings}}<li>{{.Message}}</li>{{end}}</ol>{{else}}<p>None.</p>{{end}}
<h2>Columns</h2>
<table><tr><th>column</th><th>type</th><th>count</th><th>nulls</th><th>distinct</th><th>min</th><th>max</th><th>mean</th><th>std</th><th>zeros</th><th>outliers</th></tr>
{{range .Columns}}<tr><td>{{.Name}}</td><td>{{.Type}}</td><td>{{.Count}}</td><td>{{.Nulls}} ({{pct .NullShare}})</td><td>{{.Distinct}}</td>
<td>{{if .Min}}{{num .Min}}{{else}}{{.MinText}}{{end}}</td><td>{{if .Max}}{{num .Max}}{{else}}{{.MaxText}}{{end}}</td>
<td>{{num .Mean}}</td><td>{{num .Std}}</td><td>{{.Zeros}}</td><td>{{.Outliers}}</td></tr>{{end}}
</table>
<h2>Histograms</h2>
<div class="cols">{{range .Columns}}{{if .Histogram}}<div class="col"><b>{{.Name}}</b><br>{{hist .Histogram}}<br>
<small>{{range .Quantiles}}p{{printf "%.0f" (mulq .Q)}} {{printf "%.4g" .Value}} {{end}}</small></div>{{end}}{{end}}</div>
{{with .Corr}}<h2>Correlations</h2>{{heatmap .}}{{end}}
{{with .Target}}<h2>Target {{.Name}}</h2>
{{if .Balance}}<table><tr><th>value</th><th>rows</th><th>share</th></tr>{{range .Balance}}<tr><td>{{.Value}}</td><td>{{.Count}}</td><td>{{pct .Share}}</td></tr>{{end}}</table>{{end}}
<table><tr><th>feature</th><th>correlation with {{.Name}}</th></tr>{{range .Correlation}}<tr><td>{{.Name}}</td><td>{{num .Value}}</td></tr>{{end}}</table>{{end}}
<h2>Table</h2>
<table>
<tr><td>duplicate rows</td><td>{{.Table.DuplicateRows}}</td></tr>
<tr><td>duplicate (entity, timestamp) pairs</td><td>{{.Table.DuplicateKeyTime}}</td></tr>
<tr><td>rows out of timestamp order</td><td>{{.Table.OutOfOrder}}</td></tr>
<tr><td>entities</td><td>{{.Table.Entities}}</td></tr>
<tr><td>rows per entity (min / median / max)</td><td>{{.Table.RowsPerEntityMin}} / {{.Table.RowsPerEntityMed}} / {{.Table.RowsPerEntityMax}}</td></tr>
</table>
</body></html>
`))

func fmtNum(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.6g", *v)
}

func histSVG(h *Histogram) template.HTML {
	const W, H = 240.0, 80.0
	maxC := 1
	for _, c := range h.Counts {
		maxC = max(maxC, c)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img">`, W, H+14)
	bw := W / float64(len(h.Counts))
	for i, c := range h.Counts {
		bh := H * float64(c) / float64(maxC)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4a78c2"><title>%d</title></rect>`,
			float64(i)*bw+0.5, H-bh, math.Max(bw-1, 0.5), bh, c)
	}
	fmt.Fprintf(&b, `<text x="0" y="%.0f" font-size="10">%.4g</text><text x="%.0f" y="%.0f" font-size="10" text-anchor="end">%.4g</text></svg>`,
		H+12, h.Edges[0], W, H+12, h.Edges[len(h.Edges)-1])
	return template.HTML(b.String())
}

func heatmapSVG(m *Matrix) template.HTML {
	const cell, label = 28.0, 130.0
	n := float64(len(m.Names))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img">`, label+n*cell, label+n*cell)
	for i, name := range m.Names {
		esc := template.HTMLEscapeString(name)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" text-anchor="end">%s</text>`, label-4, label+float64(i)*cell+cell/2+3, esc)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" transform="rotate(-60 %.0f %.0f)">%s</text>`,
			label+float64(i)*cell+cell/2, label-4, label+float64(i)*cell+cell/2, label-4, esc)
		for j := range m.Names {
			v := m.Values[i][j]
			color, text := "#eee", "–"
			if v != nil {
				r := *v
				// Blue for negative, red for positive, white at zero.
				if r >= 0 {
					color = fmt.Sprintf("rgb(255,%d,%d)", int(255*(1-r)), int(255*(1-r)))
				} else {
					color = fmt.Sprintf("rgb(%d,%d,255)", int(255*(1+r)), int(255*(1+r)))
				}
				text = fmt.Sprintf("%.2f", r)
			}
			fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="%s" stroke="#fff"><title>%s / %s: %s</title></rect>`,
				label+float64(j)*cell, label+float64(i)*cell, cell, cell, color, template.HTMLEscapeString(m.Names[i]),
				template.HTMLEscapeString(m.Names[j]), text)
			fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="8" text-anchor="middle">%s</text>`,
				label+float64(j)*cell+cell/2, label+float64(i)*cell+cell/2+3, text)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
