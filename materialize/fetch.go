package materialize

import (
	"context"
	"math/bits"
	"runtime"
	"slices"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

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
	step := (len(at) + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	parallelN(runtime.GOMAXPROCS(0), func(w int) {
		for k := w * step; k < min((w+1)*step, len(at)); k++ {
			at[k] = int32(set.rank(p.rows[k]))
		}
	})
	start := make([]int, (len(set.rows)+batch-1)/batch+1)
	for _, a := range at {
		start[int(a)/batch+1]++
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
	s := rowSet{bits: make([]uint64, slices.Max(rows)/64+1), rows: make([]int64, 0, len(rows))}
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

// scatterPicked sets dst[ents[k]] to src[picked[k]] for every picked row,
// its validity included (dst starts null).
func scatterPicked(dst, src *featurestore.Series, ents, picked []int32) {
	for k, r := range picked {
		if r >= 0 && !src.Null(int(r)) {
			dst.Valid[ents[k]] = true
		}
	}
	switch dst.Type {
	case transforms.Float64:
		scatterValues(dst.F64, src.F64, ents, picked)
	case transforms.Int64, transforms.Timestamp:
		scatterValues(dst.I64, src.I64, ents, picked)
	case transforms.Bool:
		scatterValues(dst.Bool, src.Bool, ents, picked)
	case transforms.String:
		scatterValues(dst.Str, src.Str, ents, picked)
	}
}

func scatterValues[T any](dst, src []T, ents, picked []int32) {
	for k, r := range picked {
		if r >= 0 {
			dst[ents[k]] = src[r]
		}
	}
}
