package web

import (
	"strings"

	"github.com/fs-dev/fs/internal/format"
	"github.com/fs-dev/fs/trainer"
)

// RunTable is runs as the runs table shows them: each run's swept
// parameters and first test metrics, under the first run's estimator's
// names (a run of another estimator shows name=value in those cells).
type RunTable struct {
	Params, Metrics []string
	Rows            []RunRow
}

// RunRow is a run and its cells under RunTable's Params then Metrics.
type RunRow struct {
	*trainer.Run
	Cells []string
}

// tableMetrics is how many test metrics the runs table shows.
const tableMetrics = 3

// NewRunTable lays runs out for the runs table.
func NewRunTable(runs []trainer.Run) RunTable {
	var t RunTable
	if len(runs) > 0 && runs[0].Params != nil && runs[0].Test != nil {
		t.Params = names(runs[0].Params.Swept())
		t.Metrics = names(runs[0].Test.Metrics())
		t.Metrics = t.Metrics[:min(len(t.Metrics), tableMetrics)]
	}
	for i := range runs {
		r := &runs[i]
		var swept, metrics []trainer.Value
		if r.Params != nil {
			swept = r.Params.Swept()
		}
		if r.Test != nil {
			metrics = r.Test.Metrics()
		}
		t.Rows = append(t.Rows, RunRow{Run: r, Cells: append(cells(swept, t.Params), cells(metrics, t.Metrics)...)})
	}
	return t
}

// Columns is how many columns the table has (for an empty table's row).
func (t RunTable) Columns() int { return 7 + len(t.Params) + len(t.Metrics) }

func names(vs []trainer.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

func cells(vs []trainer.Value, names []string) []string {
	out := make([]string, len(names))
	for i := range names {
		switch {
		case i >= len(vs):
			out[i] = "-"
		case vs[i].Name == names[i]:
			out[i] = format.Num(vs[i].Num)
		default:
			out[i] = vs[i].Name + " " + format.Num(vs[i].Num)
		}
	}
	return out
}

// RunReport is what a run's page shows of its model: the estimator, the
// parameters and the fit, the metrics on the train and test rows, the
// estimator's further tables and the coefficients.
type RunReport struct {
	Title   string
	Task    string
	Params  string
	Effort  string
	Details []trainer.Value
	Metrics []MetricRow
	Tables  []trainer.Table
	Coef    *CoefTable
}

// MetricRow is a metric on the train and test rows; ID names the test
// cell (test-rmse, test-log-loss).
type MetricRow struct {
	Name, Train, Test, ID string
}

// CoefTable is a model's coefficients, a row per feature and a column per
// coefficient column (one, or a class each).
type CoefTable struct {
	Head      []string
	Rows      []CoefRow
	Intercept []string
}

// CoefRow is a feature's coefficients.
type CoefRow struct {
	Name, Version string // Version is "" for a feature without one
	Values        []string
}

// NewRunReport lays out run r's model for its page (nil for a run
// without one).
func NewRunReport(r *trainer.Run) *RunReport {
	if r.Model == nil || r.Params == nil || r.Train == nil || r.Test == nil {
		return nil
	}
	rep := &RunReport{Title: r.Estimator, Params: trainer.Values(r.Params.Show()), Details: r.Model.Details(),
		Tables: r.Test.Tables(r.Model)}
	if e, ok := trainer.Lookup(r.Estimator); ok {
		rep.Title, rep.Task = e.Title(), e.Task()
	}
	n, unit := r.Model.Effort()
	rep.Effort = format.Plural(n, unit)
	for _, m := range r.Train.Metrics() {
		test, _ := r.Test.Get(m.Name)
		rep.Metrics = append(rep.Metrics, MetricRow{Name: strings.ReplaceAll(m.Name, "_", " "), Train: format.Num(m.Num), Test: format.Num(test),
			ID: "test-" + strings.ReplaceAll(m.Name, "_", "-")})
	}
	if cf := r.Model.Coefficients(); cf != nil {
		rep.Coef = coefTable(r, cf)
	}
	return rep
}

func coefTable(r *trainer.Run, cf *trainer.Coefficients) *CoefTable {
	t := &CoefTable{}
	for _, c := range cf.Columns {
		t.Head = append(t.Head, strings.TrimSpace("coef "+c))
	}
	for i, f := range r.Features {
		row := CoefRow{Name: f.Name}
		if !f.Version.IsZero() {
			row.Version = f.Version.String()
		}
		for _, col := range cf.Coef {
			row.Values = append(row.Values, format.Num(col[i]))
		}
		t.Rows = append(t.Rows, row)
	}
	for _, b := range cf.Intercept {
		t.Intercept = append(t.Intercept, format.Num(b))
	}
	return t
}
