package materialize

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// computeWindowed computes a windowed group while its files are hashed
// alongside: the events read whole, each aggregation's values and filter
// evaluated on them, the windows slid, then the features over the
// aggregations evaluated per entity row.
func (j *Job) computeWindowed(ctx context.Context, g *group, files []string, schema featurestore.Schema, ents *Entities,
	cutoff time.Time, progress func(int)) (*groupResult, error) {
	if featurestore.IsURI(g.src.Path) {
		return nil, featurestore.Errorf(featurestore.EINVALID, "aggregations read their source's events here, and %s is a URI", g.src.Path).
			WithHint("aggregate a copy of the source on this machine's disk, or materialize the as-of features alone with Spark")
	}
	snapDone := make(chan error, 1)
	var snap featurestore.SourceSnapshot
	go func() {
		var err error
		snap, err = j.snapshot(ctx, g.src, files)
		snapDone <- err
	}()
	res, table, err := j.windows(ctx, g, files, ents, cutoff, progress)
	if serr := <-snapDone; err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	snap.Rows, snap.Schema, snap.SourceVersion = table.Rows, columnsOf(schema, g.columns), g.sourceVersion
	res.snap = snap
	return res, nil
}

// windows computes the group's outputs from its events.
func (j *Job) windows(ctx context.Context, g *group, files []string, ents *Entities, cutoff time.Time,
	progress func(int)) (*groupResult, *featurestore.Table, error) {
	table, _, err := parquet.ReadTable(ctx, files, g.columns)
	if err != nil {
		return nil, nil, err
	}
	j.watch.step("source %s: read %d events", g.src.Name, table.Rows)
	ws, err := j.prepareWindows(ctx, g, table, ents.Table.Rows)
	if err != nil {
		return nil, nil, err
	}
	j.watch.step("source %s: evaluate the aggregated values on the events", g.src.Name)
	ev := newEvents(table, g.src, g.joinKeys, cutoff.UnixNano(), !cutoff.IsZero())
	var keyCols []*featurestore.Series
	for _, k := range g.joinKeys {
		keyCols = append(keyCols, ents.Table.Lookup(k))
	}
	q := newQueries(ev, keyCols, ents.Table.Lookup(ents.TimestampColumn).I64)
	j.watch.step("source %s: sort %d events by key and time", g.src.Name, len(ev.order))
	if err := computeWindows(ctx, ev, q, ws); err != nil {
		return nil, nil, err
	}
	progress(ents.Table.Rows / 2)
	j.watch.step("source %s: slide %d windows", g.src.Name, len(ws))
	res, err := j.windowOutputs(ctx, g, ws, ents.Table.Rows, allCreatedAfter(table, g.src, cutoff), cutoff)
	progress(ents.Table.Rows)
	return res, table, err
}

// prepareWindows compiles the group's row-level versions and each
// aggregation's value and filter against the events, and evaluates them.
func (j *Job) prepareWindows(ctx context.Context, g *group, table *featurestore.Table, n int) ([]*window, error) {
	progs := map[featurestore.ID]*program{}
	var ws []*window
	for _, v := range g.versions { // dependencies first
		switch {
		case v.Aggregation != nil:
			w, err := prepareWindow(ctx, v, table, progs, n)
			if err != nil {
				return nil, err
			}
			ws = append(ws, w)
		case !j.windowed(v):
			p, err := compileVersion(v, v.Expr, v.Type, table, progs)
			if err != nil {
				return nil, err
			}
			progs[v.ID] = p
		}
	}
	return ws, nil
}

// prepareWindow evaluates aggregation v's value and filter on the events.
func prepareWindow(ctx context.Context, v *featurestore.FeatureVersion, table *featurestore.Table,
	progs map[featurestore.ID]*program, n int) (*window, error) {
	w := &window{v: v, span: int64(v.Aggregation.Window), out: windowOutput(v, n), noRow: make([]bool, n)}
	for i := range w.noRow {
		w.noRow[i] = true
	}
	var pass []bool
	if v.Expr != "" {
		p, err := compileVersion(v, v.Expr, "", table, progs)
		if err != nil {
			return nil, err
		}
		if w.values = p.copy; w.values == nil {
			if w.values, err = evaluateAll(ctx, table, v, p, progs); err != nil {
				return nil, err
			}
		}
	}
	if v.Aggregation.Where != "" {
		p, err := compileVersion(v, v.Aggregation.Where, transforms.Bool, table, progs)
		if err != nil {
			return nil, err
		}
		cond := p.copy
		if cond == nil {
			if cond, err = evaluateAll(ctx, table, v, p, progs); err != nil {
				return nil, err
			}
		}
		pass = make([]bool, table.Rows)
		for r := range pass {
			pass[r] = !cond.Null(r) && cond.Bool[r]
		}
	}
	if err := checkWindowValues(v, w.values); err != nil {
		return nil, err
	}
	w.take = takes(table.Rows, v.Aggregation.Function, pass, w.values)
	return w, nil
}

// evaluateAll computes program p (of version v) on every event row.
func evaluateAll(ctx context.Context, table *featurestore.Table, v *featurestore.FeatureVersion, p *program,
	progs map[featurestore.ID]*program) (*featurestore.Series, error) {
	n := table.Rows
	dst := featurestore.NewSeries(v.Name, p.prog.Output(), n)
	dst.Valid = make([]bool, n)
	with := maps.Clone(progs)
	with[v.ID] = p
	err := blocks(ctx, n, func(lo, hi int, ev *evaluator) error {
		for r := lo; r < hi; r++ {
			val, err := ev.value(v.ID, r)
			if err != nil {
				return fmt.Errorf("feature %s@%s on event row %d: %w", v.Name, v.ID.Short(), r+1, err)
			}
			if val != nil {
				dst.Valid[r] = true
				set(dst, r, n, val)
			}
		}
		return nil
	}, func() *evaluator { return newEvaluator(table, with) })
	return dst, err
}

// windowOutputs evaluates the features over aggregations per entity row
// and gathers the group's outputs with their null counts.
func (j *Job) windowOutputs(ctx context.Context, g *group, ws []*window, n int, allLate bool, cutoff time.Time) (*groupResult, error) {
	progs := map[featurestore.ID]*program{}
	byID := map[featurestore.ID]*window{}
	aggs := &featurestore.Table{Rows: n}
	for _, w := range ws {
		progs[w.v.ID] = &program{v: w.v, copy: w.out}
		byID[w.v.ID] = w
		aggs.Series = append(aggs.Series, w.out)
	}
	for _, v := range g.versions {
		if v.Aggregation != nil || !j.windowed(v) {
			continue
		}
		p, err := compileVersion(v, v.Expr, v.Type, aggs, progs)
		if err != nil {
			return nil, err
		}
		progs[v.ID] = p
	}
	res := &groupResult{}
	for _, oi := range g.outputs {
		name, v := j.outputs[oi].Name, j.byID[j.outputs[oi].Version]
		var s *featurestore.Series
		if w := byID[v.ID]; w != nil {
			c := *w.out
			s = &c
		} else {
			var err error
			if s, err = evaluateAll(ctx, aggs, v, progs[v.ID], progs); err != nil {
				return nil, err
			}
		}
		s.Name = name
		res.series = append(res.series, s)
		res.nulls = append(res.nulls, windowNulls(name, s, byID[v.ID], n, allLate, cutoff))
	}
	return res, nil
}

// windowNulls counts a windowed feature's nulls: those of rows with no
// event in the window (NoRow), and the others (NullValue).
func windowNulls(name string, s *featurestore.Series, w *window, n int, allLate bool, cutoff time.Time) featurestore.FeatureNulls {
	c := featurestore.FeatureNulls{Name: name, Inf: countInf(s)}
	for i := range n {
		if !s.Null(i) {
			continue
		}
		c.Nulls++
		if w != nil && w.noRow[i] {
			c.NoRow++
		}
	}
	c.NullValue = c.Nulls - c.NoRow
	if !c.MostlyNull(n) {
		return c
	}
	switch {
	case c.NoRow*2 >= n && allLate:
		c.Reason = fmt.Sprintf("every event was created after the cutoff %s (--as-of)", cutoff.Format(time.RFC3339))
	case c.NoRow*2 >= n:
		c.Reason = fmt.Sprintf("most entity rows have no event in the %s before their time", featurestore.FormatTTL(w.v.Aggregation.Window))
	case c.NullValue*2 >= n:
		c.Reason = "the aggregated values are null for most entity rows"
	}
	return c
}

// allCreatedAfter reports whether the source has created times and none
// by the cutoff.
func allCreatedAfter(t *featurestore.Table, src featurestore.Source, cutoff time.Time) bool {
	var p Picked
	p.noteCreated(t, PickInput{Source: src, Cutoff: cutoff})
	return p.AllCreatedAfter()
}
