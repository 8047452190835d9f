package profile

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/numeric"
	"github.com/fs-dev/fs/transforms"
)

// Profile is the analysis of one table.
type Profile struct {
	Path     string          `json:"path"`
	Rows     int             `json:"rows"`
	Columns  []*Column       `json:"columns"`
	Table    Table           `json:"table"`
	Corr     *Matrix         `json:"correlations,omitempty"`
	Target   *TargetAnalysis `json:"target,omitempty"`
	Warnings []Warning       `json:"warnings"`
}

// Column is one column's statistics. Numeric statistics are nil for
// columns they do not apply to.
type Column struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	Physical  string     `json:"physical"`
	Count     int        `json:"count"` // non-null
	Nulls     int        `json:"nulls"`
	NullShare float64    `json:"null_share"`
	Distinct  int        `json:"distinct"`
	Min       *float64   `json:"min,omitempty"`
	Max       *float64   `json:"max,omitempty"`
	Mean      *float64   `json:"mean,omitempty"`
	Std       *float64   `json:"std,omitempty"`
	Zeros     int        `json:"zeros"`
	Quantiles []Quantile `json:"quantiles,omitempty"`
	Outliers  int        `json:"outliers_iqr"` // by the IQR rule; none in a column of two values or fewer (an indicator)
	Histogram *Histogram `json:"histogram,omitempty"`
	MinText   string     `json:"min_text,omitempty"` // strings and timestamps
	MaxText   string     `json:"max_text,omitempty"`
}

// Quantile is one quantile.
type Quantile struct {
	Q     float64 `json:"q"`
	Value float64 `json:"value"`
}

// Histogram has equal-width bins between min and max.
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int     `json:"counts"`
}

// Table holds the table-level checks.
type Table struct {
	DuplicateRows    int      `json:"duplicate_rows"`
	EntityColumns    []string `json:"entity_columns,omitempty"`
	TimestampColumn  string   `json:"timestamp_column,omitempty"`
	DuplicateKeyTime int      `json:"duplicate_entity_timestamp"`
	TimeMin          string   `json:"time_min,omitempty"`
	TimeMax          string   `json:"time_max,omitempty"`
	OutOfOrder       int      `json:"rows_out_of_order"`
	Entities         int      `json:"entities"`
	RowsPerEntityMin int      `json:"rows_per_entity_min"`
	RowsPerEntityMed float64  `json:"rows_per_entity_median"`
	RowsPerEntityMax int      `json:"rows_per_entity_max"`
	MaxEntity        string   `json:"entity_with_most_rows,omitempty"`
}

// Matrix is the Pearson correlation matrix of the numeric columns.
type Matrix struct {
	Names  []string     `json:"names"`
	Values [][]*float64 `json:"values"` // nil where undefined
}

// TargetAnalysis describes the label.
type TargetAnalysis struct {
	Name        string       `json:"name"`
	Balance     []ValueCount `json:"balance,omitempty"` // for a target with few values
	Correlation []NamedValue `json:"correlation_with_features"`
}

// ValueCount is a value and how often it occurs.
type ValueCount struct {
	Value string  `json:"value"`
	Count int     `json:"count"`
	Share float64 `json:"share"`
}

// NamedValue is a name and a number.
type NamedValue struct {
	Name  string   `json:"name"`
	Value *float64 `json:"value"`
}

// Warning is a finding in plain words; higher Score ranks first.
type Warning struct {
	Message string  `json:"message"`
	Score   float64 `json:"score"`
}

// Options says which columns are the entity keys and event time (found by
// name when empty) and which is the target.
type Options struct {
	EntityColumns   []string
	TimestampColumn string
	Target          string
	Bins            int
	// MemoryLimit bounds the memory a profile takes (0: 4 GiB, or
	// three quarters of the machine's if lower): past it, row hashes and columns go to
	// temporary files under TempDir (default: the system's), with the same
	// results.
	MemoryLimit int64
	TempDir     string
}

func (o Options) budget() int64 {
	if o.MemoryLimit > 0 {
		return o.MemoryLimit
	}
	return membudget.Default().Spill
}

var quantiles = []float64{0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99}

// Run profiles the parquet files (a source or a dataset).
func Run(ctx context.Context, path string, files []string, o Options) (*Profile, error) {
	schema, err := parquet.SchemaReader{}.ReadSchema(path)
	if err != nil {
		return nil, err
	}
	if o.Bins == 0 {
		o.Bins = 20
	}
	var names []string
	for _, c := range schema {
		if c.Type != "" && c.Name != "__index_level_0__" {
			names = append(names, c.Name)
		}
	}
	guessKeys(&o, schema)
	if err := checkKeys(path, o, schema); err != nil {
		return nil, err
	}
	p := &Profile{Path: path, Warnings: []Warning{}}
	_, rows, err := parquet.Layout(ctx, files)
	if err != nil {
		return nil, err
	}
	dir := ""
	if rows*24 > o.budget()/int64(runtime.GOMAXPROCS(0)) || rows*16 > o.budget()/2 {
		// Too large to hold: a temporary directory for hashes and columns.
		base := o.TempDir
		if base == "" {
			base = os.TempDir()
		}
		if err := os.MkdirAll(base, 0o755); err != nil {
			return nil, err
		}
		atomicfile.RemoveStaleDirs(base, "profile-*")
		tmp, release, err := atomicfile.TempDir(base, "profile-*")
		if err != nil {
			return nil, fmt.Errorf("profile temporary directory: %w", err)
		}
		defer release()
		dir = tmp
	}
	// Pass 1, one row group at a time: duplicates, order, entities and
	// correlations.
	scan := newScanner(schema, names, o, func() *hashSet { return &hashSet{limit: int(o.budget() / 4 / 8), dir: dir} },
		newEntityCounts(int(o.budget()/4/entityBytes), dir))
	if _, err := parquet.ScanRowGroups(ctx, files, names, scan.add); err != nil {
		return nil, err
	}
	p.Rows = scan.rows
	if p.Table, err = scan.table(); err != nil {
		return nil, err
	}
	p.Corr = scan.matrix()
	// Pass 2, one column per processor at a time: exact per-column
	// statistics (each column is sorted).
	p.Columns = make([]*Column, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, n := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			p.Columns[i], errs[i] = o.column(ctx, files, schema, n, dir, rows)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if o.Target != "" {
		ta, err := scan.target(o.Target, p.Columns)
		if err != nil {
			return nil, err
		}
		p.Target = ta
	}
	p.Warnings = warnings(p, o)
	return p, nil
}

// column computes one column's statistics: from the whole column when it
// fits in its share of the budget, else externally (external.go) in
// chunks of that share, with the same results.
func (o Options) column(ctx context.Context, files []string, schema featurestore.Schema, name, dir string, rows int64) (*Column, error) {
	share := o.budget() / int64(runtime.GOMAXPROCS(0))
	if dir == "" || rows*24 <= share {
		t, _, err := parquet.ReadTable(ctx, files, []string{name})
		if err != nil {
			return nil, err
		}
		return columnStats(t.Series[0], o.Bins), nil
	}
	col, _ := schema.Lookup(name)
	sub, err := os.MkdirTemp(dir, "column-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(sub)
	return externalStats(ctx, files, col, o.Bins, sub, int(max(share/24, 1024)))
}

// checkKeys refuses a timestamp column that is missing or not a
// timestamp, and entity columns that are missing or not integer or string
// keys.
func checkKeys(path string, o Options, schema featurestore.Schema) error {
	have := strings.Join(schema.Names(), ", ")
	if o.TimestampColumn != "" {
		c, ok := schema.Lookup(o.TimestampColumn)
		switch {
		case !ok:
			return featurestore.Errorf(featurestore.EINVALID, "%s has no column %s (--timestamp)", path, o.TimestampColumn).
				WithHint("its columns are %s", have)
		case c.Type != transforms.Timestamp:
			return featurestore.Errorf(featurestore.EINVALID, "--timestamp %s: the column is %s, not a timestamp", o.TimestampColumn, c.Physical).
				WithHint("name the event time column; its columns are %s", have)
		}
	}
	for _, e := range o.EntityColumns {
		c, ok := schema.Lookup(e)
		switch {
		case !ok:
			return featurestore.Errorf(featurestore.EINVALID, "%s has no column %s (--entity)", path, e).
				WithHint("its columns are %s", have)
		case c.Type != transforms.Int64 && c.Type != transforms.String:
			return featurestore.Errorf(featurestore.EINVALID, "--entity %s: the column is %s; entity keys are integer or string columns", e, c.Physical).
				WithHint("its columns are %s", have)
		}
	}
	return nil
}

// guessKeys fills the entity and timestamp columns from common names when
// not given.
func guessKeys(o *Options, schema featurestore.Schema) {
	if o.TimestampColumn == "" {
		for _, n := range []string{"event_timestamp", "datetime", "timestamp", "ts", "event_time"} {
			if c, ok := schema.Lookup(n); ok && c.Type == transforms.Timestamp {
				o.TimestampColumn = n
				break
			}
		}
	}
	if len(o.EntityColumns) == 0 {
		for _, c := range schema {
			if (c.Type == transforms.Int64 || c.Type == transforms.String) && len(c.Name) > 3 && c.Name[len(c.Name)-3:] == "_id" {
				o.EntityColumns = []string{c.Name}
				break
			}
		}
	}
}

func ptr(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// columnStats computes one column's statistics from all its values.
func columnStats(s *featurestore.Series, bins int) *Column {
	c := &Column{Name: s.Name, Type: string(s.Type), Physical: s.Physical}
	vals, strs := c.countNulls(s)
	switch s.Type {
	case transforms.String:
		c.textStats(strs)
	case transforms.Timestamp:
		c.timeStats(s)
	default:
		c.numberStats(vals, bins)
	}
	return c
}

// countNulls counts the column's nulls (NaN included, as pandas) and
// returns its other values: numbers (timestamps in nanoseconds, booleans
// as 0 and 1), or texts.
func (c *Column) countNulls(s *featurestore.Series) (vals []float64, strs []string) {
	total := rowsOf(s)
	for i := 0; i < total; i++ {
		switch {
		case s.Null(i), s.Type == transforms.Float64 && math.IsNaN(s.F64[i]):
			c.Nulls++
		case s.Type == transforms.Float64:
			vals = append(vals, s.F64[i])
		case s.Type == transforms.Int64 || s.Type == transforms.Timestamp:
			vals = append(vals, float64(s.I64[i]))
		case s.Type == transforms.Bool && s.Bool[i]:
			vals = append(vals, 1)
		case s.Type == transforms.Bool:
			vals = append(vals, 0)
		case s.Type == transforms.String:
			strs = append(strs, s.Str[i])
		}
	}
	c.Count = total - c.Nulls
	if total > 0 {
		c.NullShare = float64(c.Nulls) / float64(total)
	}
	return vals, strs
}

// textStats: distinct values, the first and last in order.
func (c *Column) textStats(strs []string) {
	sort.Strings(strs)
	for i := range strs {
		if i == 0 || strs[i] != strs[i-1] {
			c.Distinct++
		}
	}
	if len(strs) > 0 {
		c.MinText, c.MaxText = strs[0], strs[len(strs)-1]
	}
}

// timeStats: distinct times and the range, exact on the integer
// nanoseconds.
func (c *Column) timeStats(s *featurestore.Series) {
	var ints []int64
	for i := 0; i < rowsOf(s); i++ {
		if !s.Null(i) {
			ints = append(ints, s.I64[i])
		}
	}
	slices.Sort(ints)
	for i := range ints {
		if i == 0 || ints[i] != ints[i-1] {
			c.Distinct++
		}
	}
	if len(ints) > 0 {
		c.MinText, c.MaxText = fmtTime(ints[0]), fmtTime(ints[len(ints)-1])
	}
}

// numberStats: mean (numpy's pairwise sum), sample standard deviation,
// zeros, distinct values, range, quantiles, IQR outliers, histogram.
func (c *Column) numberStats(vals []float64, bins int) {
	if len(vals) == 0 {
		return
	}
	mean := numeric.PairwiseSum(vals) / float64(len(vals))
	var ss float64
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
		if v == 0 {
			c.Zeros++
		}
	}
	c.Mean = ptr(mean)
	if len(vals) > 1 {
		c.Std = ptr(math.Sqrt(ss / float64(len(vals)-1)))
	}
	sort.Float64s(vals)
	for i := range vals {
		if i == 0 || vals[i] != vals[i-1] {
			c.Distinct++
		}
	}
	c.Min, c.Max = ptr(vals[0]), ptr(vals[len(vals)-1])
	for _, q := range quantiles {
		c.Quantiles = append(c.Quantiles, Quantile{Q: q, Value: quantile(vals, q)})
	}
	q1, q3 := quantile(vals, 0.25), quantile(vals, 0.75)
	lo, hi := q1-1.5*(q3-q1), q3+1.5*(q3-q1)
	for _, v := range vals {
		if outlier(c, v, lo, hi) {
			c.Outliers++
		}
	}
	c.Histogram = histogram(vals, bins)
}

func rowsOf(s *featurestore.Series) int {
	switch {
	case s.F64 != nil:
		return len(s.F64)
	case s.I64 != nil:
		return len(s.I64)
	case s.Bool != nil:
		return len(s.Bool)
	}
	return len(s.Str)
}

// quantile is numpy's default (linear) quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	return quantileOf(len(sorted), func(i int) float64 { return sorted[i] }, q)
}

// quantileOf is quantile of n sorted values, at giving the i-th.
func quantileOf(n int, at func(int) float64, q float64) float64 {
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	if lo == hi {
		return at(lo)
	}
	frac := pos - float64(lo)
	return at(lo) + (at(hi)-at(lo))*frac
}

func histogram(sorted []float64, bins int) *Histogram {
	h := newHistogram(sorted[0], sorted[len(sorted)-1], bins, len(sorted))
	for _, v := range sorted {
		h.add(v)
	}
	return h.Histogram
}

// histBuilder counts values into equal-width bins between lo and hi (one
// bin of all n values when they are all equal).
type histBuilder struct {
	*Histogram
	lo, w float64
	bins  int
	flat  bool
}

func newHistogram(lo, hi float64, bins, n int) *histBuilder {
	h := &Histogram{Counts: make([]int, bins)}
	if hi == lo {
		h.Edges, h.Counts = []float64{lo, hi}, []int{n}
		return &histBuilder{Histogram: h, flat: true}
	}
	w := (hi - lo) / float64(bins)
	for b := 0; b <= bins; b++ {
		h.Edges = append(h.Edges, lo+w*float64(b))
	}
	return &histBuilder{Histogram: h, lo: lo, w: w, bins: bins}
}

func (h *histBuilder) add(v float64) {
	if h.flat {
		return
	}
	b := int((v - h.lo) / h.w)
	if b >= h.bins {
		b = h.bins - 1
	}
	h.Counts[b]++
}

func fmtTime(ns int64) string { return timeFromNanos(ns) }

// outlier reports whether v lies outside [lo, hi], the IQR rule's fences.
// A column of two distinct values or fewer (a 0/1 indicator, a flag) has
// none: its rarer value is a class, not an outlier.
func outlier(c *Column, v, lo, hi float64) bool {
	return c.Distinct > 2 && (v < lo || v > hi)
}
