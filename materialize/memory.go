package materialize

import (
	"context"
	"slices"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// memoryPicker picks from a source that fits in memory: its join keys and
// timestamps read whole, then, for the rows picked, its other columns
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
	out := newPicked(in)
	out.noteCreated(t, in)
	src := sourceOf(t, in)
	sel, ts := bq.pick(src, pickWorkers(src))
	m.watch.step("source %s: pick", in.Source.Name)
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
