package materialize

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// memoryPicker picks from a source that fits in memory: its join keys and
// timestamps read whole (its created times too, unless they can only
// break ties: deferCreated), then, for the rows picked, its other columns
// (only the pages holding a picked row are decoded).
type memoryPicker struct {
	fetchBytes int64 // see picks.fetch; 0: fetchBytes
	watch      *stopwatch
}

// InMemory is the picker for a source that fits in memory (a job picks
// it for such a source when Options.Engine is nil).
func InMemory() Picker { return memoryPicker{} }

// Pick implements Picker.
func (m memoryPicker) Pick(ctx context.Context, in PickInput) (*Picked, error) {
	keyCols, values := splitColumns(in)
	out := newPicked(in)
	deferred, err := deferCreated(ctx, in, out)
	if err != nil {
		return nil, err
	}
	if deferred {
		keyCols, values = leaveCreated(in, keyCols, values)
	}
	// The entity rows are bucketed while the source is read.
	q := asOfQueries{key: keyFuncFor(in.EntityKeys), event: in.Event}
	intKeyed := len(in.EntityKeys) == 1 && in.EntityKeys[0].Type == transforms.Int64
	bucketing := make(chan *bucketed, 1)
	go func() { bucketing <- bucketQueries(q, intKeyed, bucketsFor(q.len())) }()
	t, _, err := parquet.ReadTable(ctx, in.Files, keyCols)
	bq := <-bucketing
	if err != nil {
		return nil, err
	}
	m.watch.step("source %s: read keys and timestamps (%d rows)", in.Source.Name, t.Rows)
	if !deferred {
		out.noteCreated(t, in)
	}
	src := sourceOf(t, in)
	var ties atomic.Bool
	if deferred {
		src.ties = &ties
	}
	sel, ts := bq.pick(src, pickWorkers(src))
	m.watch.step("source %s: pick", in.Source.Name)
	if ties.Load() { // rows of a key at the same time: their created times decide
		if sel, ts, err = pickWithCreated(ctx, in, t, q, intKeyed); err != nil {
			return nil, err
		}
		m.watch.step("source %s: read the created times (rows of a key at the same time) and pick again", in.Source.Name)
	}
	got := picks{ents: make([]int32, 0, len(sel)), rows: make([]int64, 0, len(sel))}
	for e, r := range sel {
		out.Rows[e] = int64(r)
		if r >= 0 {
			out.Found[e], out.Ts[e] = true, ts[e]
			got.add(int32(e), int64(r))
		}
	}
	ents := make([]int32, len(sel))
	for e := range ents {
		ents[e] = int32(e)
	}
	scatterColumns(out.Table, t, returned(in, keyCols), ents, sel)
	if err := got.fetch(ctx, in.Files, columnsOf(in.Schema, values), out, m.fetchBytes); err != nil {
		return nil, err
	}
	m.watch.step("source %s: read the other columns of %d rows", in.Source.Name, len(got.rows))
	return out, nil
}

// deferCreated reports whether the pick can leave the source's created
// times unread, from the statistics in its files' footers: when it has a
// cutoff, no created time is after it. They then decide only between rows
// of a key at the same time, which the pick notes (asOfSource.ties); the
// notes on out are made from the statistics.
func deferCreated(ctx context.Context, in PickInput, out *Picked) (bool, error) {
	if in.Source.CreatedTimestampField == "" {
		return false, nil
	}
	if in.Cutoff.IsZero() {
		return true, nil
	}
	st, err := parquet.TimeColumnStats(ctx, in.Files, in.Source.CreatedTimestampField)
	if err != nil || !st.Known || (st.NonNull && st.Max > in.Cutoff.UnixNano()) {
		return false, err
	}
	out.AnyCreated, out.CreatedByCutoff = st.NonNull, st.NonNull
	return true, nil
}

// leaveCreated takes the created time out of the columns read whole
// (unless it is also a join key or the timestamp); if the features read
// it, it is read for the rows picked, with the others.
func leaveCreated(in PickInput, keyCols, values []string) ([]string, []string) {
	c := in.Source.CreatedTimestampField
	if c == in.Source.TimestampField || slices.Contains(in.JoinKeys, c) {
		return keyCols, values
	}
	keyCols = slices.DeleteFunc(slices.Clone(keyCols), func(k string) bool { return k == c })
	if slices.Contains(in.Reads, c) {
		values = append(slices.Clone(values), c)
	}
	return keyCols, values
}

// pickWithCreated picks again with the created times, read now.
func pickWithCreated(ctx context.Context, in PickInput, t *featurestore.Table, q asOfQueries, intKeyed bool) ([]int32, []int64, error) {
	ct, _, err := parquet.ReadTable(ctx, in.Files, []string{in.Source.CreatedTimestampField})
	if err != nil {
		return nil, nil, err
	}
	with := &featurestore.Table{Rows: t.Rows, Series: append(slices.Clone(t.Series), ct.Series...)}
	src := sourceOf(with, in)
	sel, ts := bucketQueries(q, intKeyed, bucketsFor(q.len())).pick(src, pickWorkers(src))
	return sel, ts, nil
}

// returned is those of cols a pick returns (PickInput.Reads).
func returned(in PickInput, cols []string) []string {
	var out []string
	for _, c := range cols {
		if slices.Contains(in.Reads, c) {
			out = append(out, c)
		}
	}
	return out
}

// sourceOf is the pick's source side: a table holding its join keys and
// timestamps.
func sourceOf(t *featurestore.Table, in PickInput) asOfSource {
	src := asOfSource{ts: t.Lookup(in.Source.TimestampField), created: t.Lookup(in.Source.CreatedTimestampField),
		cutoff: in.Cutoff.UnixNano(), hasCutoff: !in.Cutoff.IsZero()}
	for _, k := range in.JoinKeys {
		src.keys = append(src.keys, t.Lookup(k))
	}
	return src
}

// columnsOf is the named columns of a schema.
func columnsOf(schema featurestore.Schema, names []string) featurestore.Schema {
	var cols featurestore.Schema
	for _, name := range names {
		c, _ := schema.Lookup(name)
		cols = append(cols, c)
	}
	return cols
}

// splitColumns splits the columns a pick reads into those it picks by
// (join keys and timestamps) and the others.
func splitColumns(in PickInput) (keyCols, values []string) {
	isKey := map[string]bool{in.Source.TimestampField: true, in.Source.CreatedTimestampField: true}
	for _, k := range in.JoinKeys {
		isKey[k] = true
	}
	for _, c := range in.Columns {
		if isKey[c] {
			keyCols = append(keyCols, c)
		} else {
			values = append(values, c)
		}
	}
	return keyCols, values
}
