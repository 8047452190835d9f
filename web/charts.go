package web

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

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
// to see, but not to read). A model without a single column of
// coefficients (a classifier of three or more classes) has none.
func CoefChart(r *trainer.Run) (template.HTML, error) {
	if r.Model == nil {
		return "", nil
	}
	cf := r.Model.Coefficients()
	if cf == nil || len(cf.Coef) != 1 || len(cf.Coef[0]) == 0 {
		return "", nil
	}
	coef := cf.Coef[0]
	p := newPlot("coefficients")
	p.Add(plotter.NewGrid())
	pos, neg := make(plotter.Values, len(coef)), make(plotter.Values, len(coef))
	var labels plotter.XYLabels
	for i, c := range coef {
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
		if coef[i] < 0 {
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

// SweepCharts plot a sweep's metric on the test rows (the one that picked
// its best run) against
// each swept parameter (a line per value of the other, a log scale for
// the first: alpha, C): Elastic Net's test RMSE against alpha and
// l1_ratio, a classifier's test log loss against C and l1_ratio.
func SweepCharts(runs []*trainer.Run, metric string) ([]template.HTML, error) {
	if len(runs) < 2 || runs[0].Params == nil {
		return nil, nil
	}
	swept := runs[0].Params.Swept()
	if len(swept) != 2 {
		return nil, nil
	}
	var out []template.HTML
	for i, x := range swept {
		axis := sweepAxis{x: x.Name, series: swept[1-i].Name, metric: metric, log: i == 0}
		svg, err := sweepChart(runs, axis, i)
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
	x, series, metric string
	log               bool
}

// point is a run's place on a sweep chart: its x, its line and the
// metric; ok is false for a run of another estimator.
func (a sweepAxis) point(r *trainer.Run, xi int) (x, series, y float64, ok bool) {
	if r.Params == nil || r.Test == nil {
		return 0, 0, 0, false
	}
	swept := r.Params.Swept()
	if len(swept) != 2 || swept[xi].Name != a.x || swept[1-xi].Name != a.series {
		return 0, 0, 0, false
	}
	y, ok = r.Test.Get(a.metric)
	return swept[xi].Num, swept[1-xi].Num, y, ok
}

func sweepChart(runs []*trainer.Run, a sweepAxis, xi int) (template.HTML, error) {
	xName, seriesName, logX, metric := a.x, a.series, a.log, "test "+strings.ReplaceAll(a.metric, "_", " ")
	groups := map[float64]plotter.XYs{}
	for _, r := range runs {
		if x, s, y, ok := a.point(r, xi); ok {
			groups[s] = append(groups[s], plotter.XY{X: x, Y: y})
		}
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
