package parquet

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

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
	opts := []pq.WriterOption{schema, pq.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		pq.CreatedBy("fs", "1", ""), pq.MaxRowsPerRowGroup(rowGroupRows)}
	for k, v := range meta {
		opts = append(opts, pq.KeyValueMetadata(k, v))
	}
	pw := pq.NewWriter(w, opts...)
	// Row groups are encoded and compressed in parallel, then committed in
	// order: the bytes are the same as a sequential write.
	var groups []*pq.ConcurrentRowGroupWriter
	for lo := 0; lo < t.Rows; lo += rowGroupRows {
		groups = append(groups, pw.BeginRowGroup())
	}
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for gi, rg := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			lo := gi * rowGroupRows
			errs[gi] = writeRows(rg, t, lo, min(lo+rowGroupRows, t.Rows))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, rg := range groups {
		if _, err := rg.Commit(); err != nil {
			return err
		}
	}
	return pw.Close()
}

// writeRows writes rows [lo, hi) of t into one row group.
func writeRows(rg *pq.ConcurrentRowGroupWriter, t *featurestore.Table, lo, hi int) error {
	const batch = 1024
	width := len(t.Series)
	backing := make([]pq.Value, batch*width)
	rows := make([]pq.Row, 0, batch)
	flush := func() error {
		if _, err := rg.WriteRows(rows); err != nil {
			return err
		}
		rows = rows[:0]
		return nil
	}
	for i := lo; i < hi; i++ {
		k := len(rows)
		row := pq.Row(backing[k*width : (k+1)*width : (k+1)*width])
		for ci, s := range t.Series {
			if s.Null(i) {
				row[ci] = pq.NullValue().Level(0, 0, ci)
				continue
			}
			var v pq.Value
			switch s.Type {
			case transforms.Float64:
				v = pq.DoubleValue(s.F64[i])
			case transforms.Int64:
				v = pq.Int64Value(s.I64[i])
			case transforms.Bool:
				v = pq.BooleanValue(s.Bool[i])
			case transforms.String:
				v = pq.ByteArrayValue([]byte(s.Str[i]))
			case transforms.Timestamp:
				v = pq.Int64Value(floorDiv(s.I64[i], 1000))
			}
			row[ci] = v.Level(0, 1, ci)
		}
		rows = append(rows, row)
		if len(rows) == cap(rows) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return rg.Flush()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
