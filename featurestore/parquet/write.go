package parquet

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// orderedGroup is a parquet group whose fields keep the order given, not
// the alphabetical order parquet.Group imposes.
type orderedGroup struct {
	pq.Group
	order []string
}

func (g orderedGroup) Fields() []pq.Field {
	fields := g.Group.Fields()
	rank := make(map[string]int, len(g.order))
	for i, n := range g.order {
		rank[n] = i
	}
	out := slices.Clone(fields)
	slices.SortStableFunc(out, func(a, b pq.Field) int { return rank[a.Name()] - rank[b.Name()] })
	return out
}

func leafFor(t transforms.Type) (pq.Node, error) {
	switch t {
	case transforms.Float64:
		return pq.Leaf(pq.DoubleType), nil
	case transforms.Int64:
		return pq.Int(64), nil
	case transforms.Bool:
		return pq.Leaf(pq.BooleanType), nil
	case transforms.String:
		return pq.String(), nil
	case transforms.Timestamp:
		return pq.Timestamp(pq.Microsecond), nil
	}
	return nil, fmt.Errorf("no parquet type for %q", t)
}

// zstdLevel is the output's compression level. Measured on the benchmark's
// 1M-row output (BenchmarkWriteTableLevels, docs/benchmarks.md): the
// faster levels leave random floats as they are, the better ones save 2-4%
// at 1.2-3x the time; the default is kept, and with it every earlier
// dataset's bytes.
var zstdLevel = zstd.SpeedDefault

// rowGroupRows bounds the rows buffered before a row group is flushed.
const rowGroupRows = 128 * 1024

// WriteTable writes t to w as parquet, columns in t's order, every column
// optional (real nulls), timestamps as UTC microseconds, zstd-compressed,
// with the key-value metadata given. The bytes depend only on t and meta.
func WriteTable(w io.Writer, t *featurestore.Table, meta map[string]string) error {
	group := pq.Group{}
	order := make([]string, len(t.Series))
	for i, s := range t.Series {
		leaf, err := leafFor(s.Type)
		if err != nil {
			return fmt.Errorf("column %s: %w", s.Name, err)
		}
		if _, dup := group[s.Name]; dup {
			return featurestore.Errorf(featurestore.EINVALID, "two output columns are named %s", s.Name).
				WithHint("rename the entity file's column or the feature")
		}
		group[s.Name] = pq.Optional(leaf)
		order[i] = s.Name
	}
	schema := pq.NewSchema("dataset", orderedGroup{Group: group, order: order})
	opts := []pq.WriterOption{schema, pq.Compression(&zstd.Codec{Level: zstdLevel}),
		pq.CreatedBy("fs", "1", ""), pq.MaxRowsPerRowGroup(rowGroupRows)}
	for k, v := range meta {
		opts = append(opts, pq.KeyValueMetadata(k, v))
	}
	pw := pq.NewWriter(w, opts...)
	// Row groups are encoded and compressed in parallel, a column at a
	// time, and committed in order as each is whole, while later ones
	// are encoded: the bytes are the same as a sequential write.
	var groups []*pq.ConcurrentRowGroupWriter
	for lo := 0; lo < t.Rows; lo += rowGroupRows {
		groups = append(groups, pw.BeginRowGroup())
	}
	width := len(t.Series)
	errs := make([]error, len(groups)*width)
	left := make([]atomic.Int32, len(groups)) // columns of each group still to encode
	for gi := range left {
		left[gi].Store(int32(width))
	}
	whole := make(chan int, len(groups))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(errs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for task := int(next.Add(1)) - 1; task < len(errs); task = int(next.Add(1)) - 1 {
				gi, ci := task/width, task%width
				lo := gi * rowGroupRows
				col := groups[gi].ColumnWriters()[ci]
				errs[task] = writeColumn(col, t.Series[ci], ci, lo, min(lo+rowGroupRows, t.Rows))
				if left[gi].Add(-1) == 0 {
					whole <- gi
				}
			}
		}()
	}
	err := commitInOrder(groups, whole, func(gi int) error { return errors.Join(errs[gi*width : (gi+1)*width]...) })
	wg.Wait()
	if err != nil {
		return err
	}
	return pw.Close()
}

// commitInOrder commits the row groups in order as whole says each is
// encoded (every group comes once, in any order), stopping at the first
// whose encoding failed (failed says) or whose commit does.
func commitInOrder(groups []*pq.ConcurrentRowGroupWriter, whole <-chan int, failed func(gi int) error) error {
	done := make([]bool, len(groups))
	for next := 0; next < len(groups); {
		done[<-whole] = true
		for ; next < len(groups) && done[next]; next++ {
			if err := failed(next); err != nil {
				return err
			}
			if _, err := groups[next].Commit(); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeColumn writes rows [lo, hi) of column s (the ci-th) into its
// writer in a row group, 64 rows at a time as parquet-go's row writer
// does, so that pages end where they would, and flushes it.
func writeColumn(col *pq.ColumnWriter, s *featurestore.Series, ci, lo, hi int) error {
	const chunk = 64
	values := make([]pq.Value, chunk)
	for i := lo; i < hi; i += chunk {
		n := min(chunk, hi-i)
		valuesOf(values[:n], s, i, ci)
		if _, err := col.WriteRowValues(values[:n]); err != nil {
			return err
		}
	}
	return col.Flush()
}

// valuesOf sets vs to rows [i, i+len(vs)) of s as parquet values of
// column ci, a loop per type.
func valuesOf(vs []pq.Value, s *featurestore.Series, i, ci int) {
	switch s.Type {
	case transforms.Float64:
		bitsOf(vs, pq.DoubleValue(0).Level(0, 1, ci), func(k int) uint64 { return math.Float64bits(s.F64[i+k]) })
	case transforms.Int64:
		bitsOf(vs, pq.Int64Value(0).Level(0, 1, ci), func(k int) uint64 { return uint64(s.I64[i+k]) })
	case transforms.Timestamp:
		bitsOf(vs, pq.Int64Value(0).Level(0, 1, ci), func(k int) uint64 { return uint64(floorDiv(s.I64[i+k], 1000)) })
	case transforms.Bool:
		for k := range vs {
			vs[k] = pq.BooleanValue(s.Bool[i+k]).Level(0, 1, ci)
		}
	case transforms.String:
		for k := range vs {
			vs[k] = pq.ByteArrayValue([]byte(s.Str[i+k])).Level(0, 1, ci)
		}
	}
	if s.Valid == nil {
		return
	}
	for k := range vs {
		if !s.Valid[i+k] {
			vs[k] = pq.NullValue().Level(0, 0, ci)
		}
	}
}

// bitsOf sets vs[k] to the value of template's type (DOUBLE or INT64)
// whose bits are bits(k), at template's levels: template with its bits
// replaced, where parquet-go's Value keeps them (valueBits), else built by
// parquet-go and leveled, a call to Value.Level per value, which is not
// inlined.
func bitsOf(vs []pq.Value, template pq.Value, bits func(k int) uint64) {
	if valueBits < 0 {
		rep, def, col := int(template.RepetitionLevel()), int(template.DefinitionLevel()), template.Column()
		for k := range vs {
			v := pq.Int64Value(int64(bits(k)))
			if template.Kind() == pq.Double {
				v = pq.DoubleValue(math.Float64frombits(bits(k)))
			}
			vs[k] = v.Level(rep, def, col)
		}
		return
	}
	for k := range vs {
		vs[k] = template
		*(*uint64)(unsafe.Add(unsafe.Pointer(&vs[k]), valueBits)) = bits(k)
	}
}

// valueBits is the offset of a 64-bit value's bits in a parquet-go Value
// (whose fields are not exported), or -1 if Values built by replacing
// those bits are not found to be the same as parquet-go's own.
var valueBits = findValueBits()

func findValueBits() int {
	const probe = 0x0123456789abcdef
	v := pq.Int64Value(probe)
	for off := 0; off+8 <= int(unsafe.Sizeof(v)); off += 8 {
		if *(*uint64)(unsafe.Add(unsafe.Pointer(&v), off)) == probe && sameWithBitsAt(off) {
			return off
		}
	}
	return -1
}

// sameWithBitsAt reports whether, for a few values of each 64-bit type
// and levels, a leveled zero with the bits at off replaced equals the
// value parquet-go builds and levels.
func sameWithBitsAt(off int) bool {
	for _, x := range []int64{0, 1, -1, math.MinInt64, math.MaxInt64, 0x0123456789abcdef} {
		for _, ci := range []int{0, 1, 300} {
			d, i := pq.DoubleValue(0).Level(0, 1, ci), pq.Int64Value(0).Level(0, 1, ci)
			*(*uint64)(unsafe.Add(unsafe.Pointer(&d), off)) = uint64(x)
			*(*uint64)(unsafe.Add(unsafe.Pointer(&i), off)) = uint64(x)
			f := math.Float64frombits(uint64(x))
			if d != pq.DoubleValue(f).Level(0, 1, ci) || i != pq.Int64Value(x).Level(0, 1, ci) {
				return false
			}
		}
	}
	return true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
