package web

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/fs-dev/fs/trainer"
)

// svgOf renders a plot as an inline SVG element.
func svgOf(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", err
	}
	svg := b.Bytes()
	if i := bytes.Index(svg, []byte("<svg")); i >= 0 {
		svg = svg[i:]
	}
	return template.HTML(svg), nil
}

// CoefChart is a bar chart of a run's coefficients, one bar per feature.
func CoefChart(r *trainer.Run) (template.HTML, error) {
	if r.Model == nil || len(r.Model.Coef) == 0 {
		return "", nil
	}
	p := plot.New()
	p.Title.Text = "coefficients"
	vals := plotter.Values(append([]float64{}, r.Model.Coef...))
	bars, err := plotter.NewBarChart(vals, vg.Points(18))
	if err != nil {
		return "", err
	}
	bars.Color = plotutil.Color(0)
	p.Add(bars, plotter.NewGrid())
	names := make([]string, len(r.Features))
	for i, f := range r.Features {
		names[i] = f.Name
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = -1, -0.5
	return svgOf(p, vg.Points(float64(max(320, 70*len(names)))), vg.Points(260))
}

// SweepCharts plot a sweep's test RMSE against alpha (a line per
// l1_ratio, log scale) and against l1_ratio (a line per alpha); a
// classifier sweep's test log loss against C and l1_ratio.
func SweepCharts(runs []*trainer.Run) ([]template.HTML, error) {
	if len(runs) < 2 {
		return nil, nil
	}
	reg, name := regressionAxes()
	if runs[0].Task == trainer.TaskClassification {
		reg, name = classificationAxes()
	}
	var out []template.HTML
	for _, c := range reg {
		svg, err := sweepChart(runs, c, name)
		if err != nil {
			return nil, err
		}
		out = append(out, svg)
	}
	return out, nil
}

// sweepAxis is one sweep chart: the parameter on the x axis, the one that
// makes a line, the metric.
type sweepAxis struct {
	x, series string
	key       func(*trainer.Run) (x, series, y float64)
	log       bool
}

func regressionAxes() ([]sweepAxis, string) {
	return []sweepAxis{
		{"alpha", "l1_ratio", func(r *trainer.Run) (float64, float64, float64) { return r.Params.Alpha, r.Params.L1Ratio, r.Test.RMSE }, true},
		{"l1_ratio", "alpha", func(r *trainer.Run) (float64, float64, float64) { return r.Params.L1Ratio, r.Params.Alpha, r.Test.RMSE }, false},
	}, "test RMSE"
}

func classificationAxes() ([]sweepAxis, string) {
	ll := func(r *trainer.Run) float64 {
		if r.TestClass == nil {
			return math.NaN()
		}
		return r.TestClass.LogLoss
	}
	return []sweepAxis{
		{"C", "l1_ratio", func(r *trainer.Run) (float64, float64, float64) { return r.Logistic.C, r.Logistic.L1Ratio, ll(r) }, true},
		{"l1_ratio", "C", func(r *trainer.Run) (float64, float64, float64) { return r.Logistic.L1Ratio, r.Logistic.C, ll(r) }, false},
	}, "test log loss"
}

func sweepChart(runs []*trainer.Run, a sweepAxis, metric string) (template.HTML, error) {
	xName, seriesName, logX := a.x, a.series, a.log
	groups := map[float64]plotter.XYs{}
	for _, r := range runs {
		if r.Logistic == nil && r.Task == trainer.TaskClassification {
			continue
		}
		x, s, y := a.key(r)
		groups[s] = append(groups[s], plotter.XY{X: x, Y: y})
	}
	series := make([]float64, 0, len(groups))
	for s := range groups {
		series = append(series, s)
	}
	sort.Float64s(series)
	p := plot.New()
	p.Title.Text = metric + " by " + xName
	p.X.Label.Text, p.Y.Label.Text = xName, metric
	if logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	for i, s := range series {
		pts := groups[s]
		sort.Slice(pts, func(a, b int) bool { return pts[a].X < pts[b].X })
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return "", err
		}
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(fmt.Sprintf("%s %g", seriesName, s), line, points)
	}
	p.Legend.Top = true
	return svgOf(p, vg.Points(420), vg.Points(280))
}
