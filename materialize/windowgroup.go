package materialize

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"time"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/transforms"
)

// computeWindowed computes a windowed group while its files are hashed
// alongside: the events read whole (or, past the memory budget, split by
// key into partitions and read back one at a time), each aggregation's
// values and filter evaluated on them, the windows slid, then the
// features over the aggregations evaluated per entity row.
func (j *Job) computeWindowed(ctx context.Context, g *group, files []string, schema featurestore.Schema, ents *Entities,
	cutoff time.Time, progress func(int)) (*groupResult, error) {
	_, reads := j.opt.Engine.(EventReader)
	if remote, _ := j.opt.remote(g.src); remote && !reads {
		return nil, featurestore.Errorf(featurestore.EINVALID, "aggregations read their source's events, and %s is a URI only an engine reaches", g.src.Path).
			WithHint("materialize with --engine spark (a Spark Connect server that reaches that storage)")
	}
	snapDone := make(chan error, 1)
	var snap featurestore.SourceSnapshot
	go func() {
		var err error
		snap, err = j.snapshot(ctx, g.src, files)
		snapDone <- err
	}()
	read := columnsOf(schema, g.columns)
	ws := newWindows(g, ents.Table.Rows)
	rows, allLate, err := j.slideSource(ctx, g, files, read, ws, ents, cutoff)
	if serr := <-snapDone; err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	progress(ents.Table.Rows / 2)
	res, err := j.windowOutputs(ctx, g, ws, ents.Table.Rows, allLate, cutoff)
	if err != nil {
		return nil, err
	}
	progress(ents.Table.Rows)
	snap.Rows, snap.Schema, snap.SourceVersion = rows, read, g.sourceVersion
	res.snap = snap
	return res, nil
}

// newWindows makes the group's aggregations' outputs.
func newWindows(g *group, n int) []*window {
	var ws []*window
	for _, v := range g.versions {
		if v.Aggregation == nil {
			continue
		}
		w := &window{v: v, span: int64(v.Aggregation.Window), out: windowOutput(v, n), noRow: make([]bool, n)}
		for i := range w.noRow {
			w.noRow[i] = true
		}
		ws = append(ws, w)
	}
	return ws
}

// slideSource slides the windows over the source's events: all of them
// at once when they fit in the memory budget, else partition by
// partition of keys (spilled to disk), each partition answering the
// entity rows of its keys. It returns the source's row count and whether
// every event with a created time was created after the cutoff.
func (j *Job) slideSource(ctx context.Context, g *group, files []string, read featurestore.Schema, ws []*window, ents *Entities,
	cutoff time.Time) (int, bool, error) {
	if er, ok := j.opt.Engine.(EventReader); ok {
		return j.slideRemote(ctx, er, g, files, read, ws, ents, cutoff)
	}
	_, rows, err := parquet.Layout(ctx, files)
	if err != nil {
		return 0, false, err
	}
	parts := windowPartitions(rows, read, len(ws), j.opt.budget())
	if parts == 1 {
		table, _, err := parquet.ReadTable(ctx, files, g.columns)
		if err != nil {
			return 0, false, err
		}
		j.watch.step("source %s: read %d events", g.src.Name, table.Rows)
		return table.Rows, allCreatedAfter(table, g.src, cutoff), j.slideTable(ctx, g, table, ws, ents, cutoff)
	}
	dir := cmp.Or(j.opt.SpillDir, os.TempDir())
	j.opt.notify("source %s (%d events) is larger than the memory limit of %s: spilling it to %s in %d partitions",
		g.src.Name, rows, membudget.Human(j.opt.budget()), dir, parts)
	late, err := j.slideSpilled(ctx, g, files, read, ws, ents, cutoff, dir, parts)
	return int(rows), late, err
}

// slideRemote has the engine read the events the entity rows' windows
// can reach (their keys, from the earliest entity time less the longest
// window to the latest) and slides the windows over them here.
func (j *Job) slideRemote(ctx context.Context, er EventReader, g *group, files []string, read featurestore.Schema, ws []*window,
	ents *Entities, cutoff time.Time) (int, bool, error) {
	event := ents.Table.Lookup(ents.TimestampColumn).I64
	in := EventsInput{Source: g.src, Files: files, JoinKeys: g.joinKeys, Columns: g.columns, Schema: read, Cutoff: cutoff,
		From: math.MaxInt64, To: math.MinInt64}
	for _, k := range g.joinKeys {
		in.Keys = append(in.Keys, ents.Table.Lookup(k))
	}
	var span int64
	for _, w := range ws {
		span = max(span, w.span)
	}
	for _, t := range event {
		in.From, in.To = min(in.From, t), max(in.To, t)
	}
	if len(event) == 0 {
		return 0, false, nil
	}
	if in.From > math.MinInt64+span {
		in.From -= span
	}
	rows, err := j.opt.Engine.Rows(ctx, files) // the snapshot's count: all the source's rows, as here
	if err != nil {
		return 0, false, err
	}
	table, err := er.ReadEvents(ctx, in)
	if err != nil {
		return 0, false, err
	}
	j.watch.step("source %s: read %d of its %d events elsewhere (Spark)", g.src.Name, table.Rows, rows)
	return int(rows), false, j.slideTable(ctx, g, table, ws, ents, time.Time{})
}

// windowBytesPerEvent is what an event takes while its windows slide,
// beside its columns: its sort record and place (36 bytes), and per
// window its take flag and value (9).
const windowBytesPerEvent = 36

// windowPartitions is how many partitions of keys a source needs so that
// one partition's events and windows fit in half the budget: 1 when the
// whole source fits.
func windowPartitions(rows int64, read featurestore.Schema, windows int, budget int64) int {
	need := rows * (parquet.BytesPerRow(read) + windowBytesPerEvent + 9*int64(windows))
	if budget <= 1 || need <= budget {
		return 1
	}
	return int(min(max(2, (need+budget/2-1)/(budget/2)), maxPartitions))
}

// slideSpilled splits the source's candidate events by key into parts
// partition files under dir (one pass, row group by row group, each row
// keeping its place in the source for the tie rule), then reads each
// back and slides the windows over it.
func (j *Job) slideSpilled(ctx context.Context, g *group, files []string, read featurestore.Schema, ws []*window, ents *Entities,
	cutoff time.Time, dir string, parts int) (bool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("spill directory: %w", err)
	}
	atomicfile.RemoveStaleDirs(dir, "spill-*")
	tmp, release, err := atomicfile.TempDir(dir, "spill-*")
	if err != nil {
		return false, fmt.Errorf("spill directory: %w", err)
	}
	defer release()
	in := PickInput{Source: g.src, Files: files, JoinKeys: g.joinKeys, Columns: g.columns, Schema: read, Cutoff: cutoff}
	facts := &Picked{}
	sj := newSpillJob(in, parts, facts)
	sj.idx, sj.spilled = g.columns, append(slices.Clone(read), featurestore.Column{Name: rowColumn, Type: transforms.Int64})
	paths, counts, err := sj.partition(ctx, tmp)
	if err != nil {
		return false, err
	}
	j.watch.step("source %s: split into %d partitions", g.src.Name, parts)
	for p, path := range paths {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		part, err := readPartition(path, sj.spilled, counts[p])
		if err != nil {
			return false, fmt.Errorf("read spilled partition %d: %w", p, err)
		}
		os.Remove(path)
		if err := j.slideTable(ctx, g, part, ws, ents, time.Time{}); err != nil {
			return false, err
		}
	}
	j.watch.step("source %s: read back and slide %d partitions", g.src.Name, parts)
	return facts.AllCreatedAfter(), nil
}

// slideTable slides the windows over the events of table (the whole
// source, or one partition of its keys), answering the entity rows whose
// keys it holds. A zero cutoff takes every event (a partition holds only
// events created by the cutoff).
func (j *Job) slideTable(ctx context.Context, g *group, table *featurestore.Table, ws []*window, ents *Entities, cutoff time.Time) error {
	passes, err := j.prepareWindows(ctx, g, table, ws)
	if err != nil {
		return err
	}
	j.watch.step("source %s: evaluate the aggregated values on %d events", g.src.Name, table.Rows)
	ev := newEvents(table, g.src, g.joinKeys, cutoff.UnixNano(), !cutoff.IsZero())
	placed := map[*featurestore.Series]*placedValues{}
	for i, w := range ws {
		var pv *placedValues
		if w.values != nil {
			if pv = placed[w.values]; pv == nil {
				pv = placeValues(ev, w.values)
				placed[w.values] = pv
			}
		}
		w.place(ev, passes[i], pv)
	}
	var keyCols []*featurestore.Series
	for _, k := range g.joinKeys {
		keyCols = append(keyCols, ents.Table.Lookup(k))
	}
	q := newQueries(ev, keyCols, ents.Table.Lookup(ents.TimestampColumn).I64)
	j.watch.step("source %s: sort %d events by key and time", g.src.Name, len(ev.order))
	if err := computeWindows(ctx, ev, q, ws); err != nil {
		return err
	}
	j.watch.step("source %s: slide %d windows", g.src.Name, len(ws))
	return nil
}

// prepareWindows compiles the group's row-level versions and each
// aggregation's value and filter against the events of table, and
// evaluates them: each window's values and which events pass its filter
// (nil: all).
func (j *Job) prepareWindows(ctx context.Context, g *group, table *featurestore.Table, ws []*window) ([][]bool, error) {
	progs := map[featurestore.ID]*program{}
	byID := map[featurestore.ID]int{}
	for i, w := range ws {
		byID[w.v.ID] = i
	}
	passes := make([][]bool, len(ws))
	for _, v := range g.versions { // dependencies first
		switch i, agg := byID[v.ID]; {
		case agg:
			pass, err := ws[i].prepare(ctx, table, progs)
			if err != nil {
				return nil, err
			}
			passes[i] = pass
		case !j.windowed(v):
			p, err := compileVersion(v, v.Expr, v.Type, table, progs)
			if err != nil {
				return nil, err
			}
			progs[v.ID] = p
		}
	}
	return passes, nil
}

// prepare evaluates the aggregation's value and filter on the events of
// table, and returns which pass the filter (nil: all).
func (w *window) prepare(ctx context.Context, table *featurestore.Table, progs map[featurestore.ID]*program) ([]bool, error) {
	v := w.v
	w.values = nil
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
	if err := checkWindowValues(v, w.values); err != nil || v.Aggregation.Where == "" {
		return nil, err
	}
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
	pass := make([]bool, table.Rows)
	for r := range pass {
		pass[r] = !cond.Null(r) && cond.Bool[r]
	}
	return pass, nil
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
		if p.byColumn(dst, nil, lo, hi) {
			return nil
		}
		for r := lo; r < hi; r++ {
			val, err := ev.value(v.ID, r)
			if err != nil {
				return fmt.Errorf("feature %s@%s on event row %d: %w", v.Name, v.ID.Short(), r+1, err)
			}
			if val != nil {
				dst.Valid[r] = true
				dst.Set(r, n, val)
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
		nulls := windowNulls(name, s, byID[v.ID], n, allLate, cutoff)
		if j.opt.RowNulls {
			nulls.Rows = windowRowNulls(s, byID[v.ID], n)
		}
		res.nulls = append(res.nulls, nulls)
	}
	return res, nil
}

// windowRowNulls is each row's kind of null: no event in the window, or a
// null value.
func windowRowNulls(s *featurestore.Series, w *window, n int) []featurestore.NullKind {
	out := make([]featurestore.NullKind, n)
	for i := range n {
		switch {
		case !s.Null(i):
		case w != nil && w.noRow[i]:
			out[i] = featurestore.NoRow
		default:
			out[i] = featurestore.NullValue
		}
	}
	return out
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
