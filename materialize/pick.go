package materialize

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// Picker picks the as-of source rows somewhere else than in this process
// (Spark): for every entity row, the source row fs's rules choose (the
// latest at or before the event time, created by the cutoff; ties to the
// latest created time, then to the row last in the source, files in path
// order), with the columns the features read. fs then evaluates the
// expressions on those rows as it does on its own picks, so both ways give
// the same bytes.
type Picker interface {
	Pick(ctx context.Context, in PickInput) (*Picked, error)
}

// PickInput is one source group's pick.
type PickInput struct {
	Source   featurestore.Source
	Files    []string // in fs's path order
	JoinKeys []string
	Columns  []string            // the source columns the group reads (keys and timestamps included)
	Reads    []string            // those the features read: the columns a pick must return (it may return more)
	Schema   featurestore.Schema // the source's, from its footers: each column's type
	Cutoff   time.Time
	// The entity rows: their keys (as JoinKeys) and event times (ns).
	EntityKeys []*featurestore.Series
	Event      []int64
}

// Picked is, for each entity row in order, whether a source row was
// picked, its timestamp (ns) and its Columns (the table has one row per
// entity row; null where nothing was picked).
type Picked struct {
	Table *featurestore.Table
	Found []bool
	Ts    []int64
	// Rows is, when the Picker knows it, each entity row's source row
	// (numbered across the files in path order; -1: none), for messages.
	Rows []int64
	// Whether the source has a created time, and one by the cutoff.
	anyCreated, createdByCutoff bool
}

// Sources reads the sources at URIs (featurestore.IsURI): where they are,
// since fs cannot: their files, schemas, row counts and each file's
// SHA-256.
type Sources interface {
	Files(ctx context.Context, path string) ([]string, error)
	Schema(ctx context.Context, path string) (featurestore.Schema, error)
	Rows(ctx context.Context, files []string) (int64, error)
	Digests(ctx context.Context, files []string) ([]featurestore.FileSnapshot, error)
}

// memoryPicker picks from a source that fits in memory: its join keys and
// timestamps read whole, then, for the rows picked, its other columns
// (only the pages holding a picked row are decoded).
type memoryPicker struct {
	fetchBytes int64 // see picks.fetch; 0: fetchBytes
	watch      *stopwatch
}

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
	var got picks
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

// noteCreated notes, from a part of the source, whether it has a created
// time at or before the cutoff and whether it has one at all.
func (p *Picked) noteCreated(t *featurestore.Table, in PickInput) {
	created := t.Lookup(in.Source.CreatedTimestampField)
	if in.Cutoff.IsZero() || in.Source.CreatedTimestampField == "" || created == nil {
		return
	}
	cut := in.Cutoff.UnixNano()
	for i, v := range created.I64 {
		if !created.Null(i) {
			p.anyCreated = true
			p.createdByCutoff = p.createdByCutoff || v <= cut
		}
	}
}

// where names the source row picked for entity row i in messages.
func (p *Picked) where(src string, i int) string {
	if p.Rows != nil {
		return fmt.Sprintf("source %s row %d", src, p.Rows[i]+1)
	}
	return fmt.Sprintf("the source %s row picked for entity row %d", src, i+1)
}

// AllCreatedAfter reports whether every source row with a created time
// was created after the cutoff (false when the pick was made elsewhere).
func (p *Picked) AllCreatedAfter() bool { return p.anyCreated && !p.createdByCutoff }

// picks is the source row (numbered across the files) each entity row
// picked.
type picks struct {
	ents []int32
	rows []int64
}

func (p *picks) add(ent int32, row int64) {
	p.ents, p.rows = append(p.ents, ent), append(p.rows, row)
}

// fetch reads the named columns of the rows picked, each once, and sets
// them on their entity rows in out: about maxBytes of values at a time
// (fetchBytes when 0), in source order.
func (p *picks) fetch(ctx context.Context, files []string, cols featurestore.Schema, out *Picked, maxBytes int64) error {
	if len(cols) == 0 || len(p.rows) == 0 {
		return nil
	}
	set := newRowSet(p.rows)
	if maxBytes <= 0 {
		maxBytes = fetchBytes
	}
	batch := max(1, int(maxBytes/parquet.BytesPerRow(cols)))
	// The picks of each batch: a counting sort by batch.
	at := make([]int32, len(p.rows)) // where each pick's row is among the rows
	start := make([]int, (len(set.rows)+batch-1)/batch+1)
	for k, r := range p.rows {
		at[k] = int32(set.rank(r))
		start[int(at[k])/batch+1]++
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	ents, rel := make([]int32, len(at)), make([]int32, len(at))
	fill := slices.Clone(start)
	for k, a := range at {
		b := int(a) / batch
		ents[fill[b]], rel[fill[b]] = p.ents[k], a-int32(b*batch)
		fill[b]++
	}
	for b := 0; b+1 < len(start); b++ {
		rows := set.rows[b*batch : min((b+1)*batch, len(set.rows))]
		t, err := parquet.ReadRows(ctx, files, cols.Names(), rows)
		if err != nil {
			return err
		}
		scatterColumns(out.Table, t, cols.Names(), ents[start[b]:start[b+1]], rel[start[b]:start[b+1]])
	}
	return nil
}

// fetchBytes bounds the values a fetch holds at a time.
const fetchBytes = 128 << 20

// scatterColumns scatters the named columns of src to dst (scatterPicked),
// a column per processor at a time.
func scatterColumns(dst, src *featurestore.Table, names []string, ents, picked []int32) {
	eachOf(len(names), runtime.GOMAXPROCS(0), func(c int) {
		scatterPicked(dst.Lookup(names[c]), src.Lookup(names[c]), ents, picked)
	})
}

// rowSet is a set of source rows: a bit per row up to the largest, with
// the count of rows before each word, so that a row's rank (its place in
// ascending order) is a lookup and a popcount.
type rowSet struct {
	bits   []uint64
	before []int32
	rows   []int64 // ascending
}

func newRowSet(rows []int64) rowSet {
	s := rowSet{bits: make([]uint64, slices.Max(rows)/64+1)}
	for _, r := range rows {
		s.bits[r/64] |= 1 << (r % 64)
	}
	s.before = make([]int32, len(s.bits))
	n := int32(0)
	for w, b := range s.bits {
		s.before[w] = n
		n += int32(bits.OnesCount64(b))
		for ; b != 0; b &= b - 1 {
			s.rows = append(s.rows, int64(w)*64+int64(bits.TrailingZeros64(b)))
		}
	}
	return s
}

// rank is the place of row r (a member) among the set's rows.
func (s rowSet) rank(r int64) int {
	w := r / 64
	return int(s.before[w]) + bits.OnesCount64(s.bits[w]&(1<<(r%64)-1))
}
