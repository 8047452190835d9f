package web

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"

	"github.com/fs-dev/fs/trainer"
)

// sans is the charts' face: Liberation Sans, whose metrics lay the text
// out, drawn by the browser in it or in Arial (metrically the same) or
// Helvetica, beside the page's sans-serif text.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot is a plot whose every text is in the sans face.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	for _, t := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		t.Font = font.From(sans, t.Font.Size)
	}
	return p
}

// svgOf renders a plot as an inline SVG element, its text in the page's
// family of faces.
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
	svg = bytes.ReplaceAll(svg, []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	return template.HTML(svg), nil
}

// Bar colours: positive and negative coefficients.
var (
	positive = color.RGBA{R: 0xd9, G: 0x48, B: 0x3b, A: 0xff}
	negative = color.RGBA{R: 0x3b, G: 0x6e, B: 0xd9, A: 0xff}
)

// CoefChart is a bar chart of a run's coefficients, one bar per feature,
// positive and negative in two colours, each labelled with its value (a
// coefficient a hundred times smaller than the largest is too short a bar
// to see, but not to read).
func CoefChart(r *trainer.Run) (template.HTML, error) {
	if r.Model == nil || len(r.Model.Coef) == 0 {
		return "", nil
	}
	p := newPlot("coefficients")
	p.Add(plotter.NewGrid())
	pos, neg := make(plotter.Values, len(r.Model.Coef)), make(plotter.Values, len(r.Model.Coef))
	var labels plotter.XYLabels
	for i, c := range r.Model.Coef {
		if c >= 0 {
			pos[i] = c
		} else {
			neg[i] = c
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: c})
		labels.Labels = append(labels.Labels, strconv.FormatFloat(c, 'g', 3, 64))
	}
	for _, b := range []struct {
		vals plotter.Values
		col  color.Color
	}{{pos, positive}, {neg, negative}} {
		bars, err := plotter.NewBarChart(b.vals, vg.Points(18))
		if err != nil {
			return "", err
		}
		bars.Color, bars.LineStyle.Width = b.col, 0
		p.Add(bars)
	}
	lab, err := plotter.NewLabels(labels)
	if err != nil {
		return "", err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].Font = font.From(sans, vg.Points(9))
		lab.TextStyle[i].XAlign = text.XCenter
		if r.Model.Coef[i] < 0 {
			lab.TextStyle[i].YAlign = text.YTop
		}
	}
	p.Add(lab)
	names := make([]string, len(r.Features))
	for i, f := range r.Features {
		names[i] = f.Name
	}
	p.NominalX(names...)
	padY(p, 0.15)
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
	p := newPlot(metric + " by " + xName)
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
	// The legend sits in the top band of the data area (about 14 points an
	// entry of the 200 or so the data area has): the y axis is stretched so
	// that no line or marker runs through it.
	padY(p, min(0.6, (14*float64(len(series))+16)/200))
	return svgOf(p, vg.Points(420), vg.Points(280))
}

// padY stretches the y range so that a share top of the data area (and
// as much again below, for labels under negative bars) stays free.
func padY(p *plot.Plot, top float64) {
	span := p.Y.Max - p.Y.Min
	if span <= 0 {
		span = math.Max(math.Abs(p.Y.Max), 1)
	}
	p.Y.Max += span * top / (1 - top)
	if p.Y.Min < 0 {
		p.Y.Min -= span * 0.1
	}
}
