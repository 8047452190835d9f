package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// julianUnixEpoch is the Julian day number of 1970-01-01, for INT96.
const julianUnixEpoch = 2440588

// decoder turns one parquet value into a Series row.
type decoder func(s *featurestore.Series, i int, v pq.Value)

// decoderFor returns the decoder for a column as its Physical string
// describes it, or an error naming the column when fs cannot read it.
func decoderFor(c featurestore.Column) (decoder, error) {
	phys, logical, _ := strings.Cut(c.Physical, "/")
	switch c.Type {
	case transforms.Float64:
		if phys == "FLOAT" {
			return func(s *featurestore.Series, i int, v pq.Value) { s.F64[i] = float64(v.Float()) }, nil
		}
		return func(s *featurestore.Series, i int, v pq.Value) { s.F64[i] = v.Double() }, nil
	case transforms.Int64:
		if phys == "INT32" {
			return func(s *featurestore.Series, i int, v pq.Value) { s.I64[i] = int64(v.Int32()) }, nil
		}
		return func(s *featurestore.Series, i int, v pq.Value) { s.I64[i] = v.Int64() }, nil
	case transforms.Bool:
		return func(s *featurestore.Series, i int, v pq.Value) { s.Bool[i] = v.Boolean() }, nil
	case transforms.String:
		return func(s *featurestore.Series, i int, v pq.Value) { s.Str[i] = string(v.ByteArray()) }, nil
	case transforms.Timestamp:
		switch {
		case phys == "INT96":
			return func(s *featurestore.Series, i int, v pq.Value) {
				b := v.Int96()
				nanosOfDay := int64(uint64(b[1])<<32 | uint64(b[0]))
				day := int64(b[2])
				s.I64[i] = (day-julianUnixEpoch)*86400e9 + nanosOfDay
			}, nil
		case logical == "DATE":
			return func(s *featurestore.Series, i int, v pq.Value) { s.I64[i] = int64(v.Int32()) * 86400e9 }, nil
		case strings.Contains(logical, "MILLIS"):
			return func(s *featurestore.Series, i int, v pq.Value) { s.I64[i] = v.Int64() * 1e6 }, nil
		case strings.Contains(logical, "MICROS"):
			return func(s *featurestore.Series, i int, v pq.Value) { s.I64[i] = v.Int64() * 1e3 }, nil
		case strings.Contains(logical, "NANOS"):
			return func(s *featurestore.Series, i int, v pq.Value) { s.I64[i] = v.Int64() }, nil
		}
	}
	return nil, featurestore.Errorf(featurestore.EINVALID, "column %s has parquet type %s, which fs cannot read", c.Name, c.Physical).
		WithHint("fs reads integer, float, boolean, string and timestamp columns")
}

// ReadTable reads the named columns of every file (all must have them,
// with the same types) into one table, rows in file order then row order.
// Row groups are decoded in parallel, each straight into its place. A
// timestamp without UTC adjustment is read as UTC.
func ReadTable(ctx context.Context, files []string, names []string) (*featurestore.Table, featurestore.Schema, error) {
	var schema featurestore.Schema
	type task struct {
		file string
		rg   int
		off  int
		rows int
	}
	var tasks []task
	total := 0
	for i, f := range files {
		s, groups, err := fileLayout(f)
		if err != nil {
			return nil, nil, err
		}
		var cols featurestore.Schema
		for _, n := range names {
			c, ok := s.Lookup(n)
			if !ok {
				return nil, nil, featurestore.Errorf(featurestore.EINVALID, "%s has no column %q", f, n).
					WithHint("the file's columns are %s", strings.Join(s.Names(), ", "))
			}
			cols = append(cols, c)
		}
		if i == 0 {
			schema = cols
		} else if d := diffSchema(schema, cols); d != "" {
			return nil, nil, featurestore.Errorf(featurestore.EINVALID, "%s does not match %s: %s", f, files[0], d).
				WithHint("every file of a source must have the same columns and types")
		}
		for g, rows := range groups {
			tasks = append(tasks, task{file: f, rg: g, off: total, rows: int(rows)})
			total += int(rows)
		}
	}
	decoders := make([]decoder, len(schema))
	out := &featurestore.Table{Rows: total}
	for i, c := range schema {
		d, err := decoderFor(c)
		if err != nil {
			return nil, nil, err
		}
		decoders[i] = d
		s := featurestore.NewSeries(c.Name, c.Type, total)
		s.Physical = c.Physical
		s.Valid = make([]bool, total) // every row is set by its row group
		out.Series = append(out.Series, s)
	}
	errs := make([]error, len(tasks))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					continue
				}
				t := tasks[i]
				errs[i] = readRowGroup(t.file, t.rg, t.off, t.rows, schema, decoders, out)
			}
		}()
	}
	for i := range tasks {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	for _, s := range out.Series {
		if !slices.Contains(s.Valid, false) {
			s.Valid = nil
		}
	}
	return out, schema, nil
}

// ScanRowGroups reads the named columns of every file one row group at a
// time, in order, and calls fn with each as a table, so that memory is
// bounded by a row group.
func ScanRowGroups(ctx context.Context, files []string, names []string, fn func(*featurestore.Table) error) (featurestore.Schema, error) {
	var schema featurestore.Schema
	for i, f := range files {
		s, groups, err := fileLayout(f)
		if err != nil {
			return nil, err
		}
		var cols featurestore.Schema
		for _, n := range names {
			c, ok := s.Lookup(n)
			if !ok {
				return nil, featurestore.Errorf(featurestore.EINVALID, "%s has no column %q", f, n)
			}
			cols = append(cols, c)
		}
		if i == 0 {
			schema = cols
		} else if d := diffSchema(schema, cols); d != "" {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s does not match %s: %s", f, files[0], d)
		}
		decoders := make([]decoder, len(cols))
		for ci, c := range cols {
			if decoders[ci], err = decoderFor(c); err != nil {
				return nil, err
			}
		}
		for g, rows := range groups {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			t := &featurestore.Table{Rows: int(rows)}
			for _, c := range cols {
				ser := featurestore.NewSeries(c.Name, c.Type, int(rows))
				ser.Physical = c.Physical
				ser.Valid = make([]bool, rows)
				t.Series = append(t.Series, ser)
			}
			if err := readRowGroup(f, g, 0, int(rows), cols, decoders, t); err != nil {
				return nil, err
			}
			for _, ser := range t.Series {
				if !slices.Contains(ser.Valid, false) {
					ser.Valid = nil
				}
			}
			if err := fn(t); err != nil {
				return nil, err
			}
		}
	}
	return schema, nil
}

// fileLayout returns a file's schema and the row count of each row group.
func fileLayout(path string) (featurestore.Schema, []int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, featurestore.Errorf(featurestore.EINVALID, "cannot read %s: %v", path, rootCause(err))
	}
	defer f.Close()
	pf, err := openParquet(f, path)
	if err != nil {
		return nil, nil, err
	}
	var rows []int64
	for _, rg := range pf.Metadata().RowGroups {
		rows = append(rows, rg.NumRows)
	}
	return schemaOf(pf.Metadata().Schema), rows, nil
}

func openParquet(f *os.File, path string) (*pq.File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	pf, err := pq.OpenFile(f, st.Size(), pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s is not a readable parquet file: %v", path, err).
			WithHint("sources must be parquet files, as written by pandas, pyarrow, Spark or DuckDB")
	}
	return pf, nil
}

// readRowGroup decodes the schema's columns of one row group into dst at
// rows [off, off+rows).
func readRowGroup(path string, rg, off, rows int, schema featurestore.Schema, decoders []decoder, dst *featurestore.Table) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	pf, err := openParquet(f, path)
	if err != nil {
		return err
	}
	group := pf.RowGroups()[rg]
	for ci, c := range schema {
		leaf, ok := pf.Schema().Lookup(c.Name)
		if !ok {
			return fmt.Errorf("%s: column %s vanished", path, c.Name)
		}
		s := dst.Series[ci]
		pages := group.ColumnChunks()[leaf.ColumnIndex].Pages()
		i := off
		for {
			page, err := pages.ReadPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				pages.Close()
				return fmt.Errorf("read %s column %s: %w", path, c.Name, err)
			}
			if int(page.NumValues()) > off+rows-i {
				pq.Release(page)
				pages.Close()
				return fmt.Errorf("%s column %s: more values than rows", path, c.Name)
			}
			n, ok := decodeFast(s, i, page, byte(leaf.MaxDefinitionLevel), c)
			if !ok {
				n, err = decodeValues(s, i, page, decoders[ci])
			}
			pq.Release(page)
			if err != nil {
				pages.Close()
				return fmt.Errorf("read %s column %s: %w", path, c.Name, err)
			}
			i += n
		}
		pages.Close()
		if i != off+rows {
			return fmt.Errorf("%s column %s: %d values for %d rows", path, c.Name, i-off, rows)
		}
	}
	return nil
}

// decodeValues is the general path: one parquet.Value at a time.
func decodeValues(s *featurestore.Series, start int, page pq.Page, dec decoder) (int, error) {
	buf := make([]pq.Value, 1024)
	vr := page.Values()
	i := start
	for {
		n, err := vr.ReadValues(buf)
		for _, v := range buf[:n] {
			if !v.IsNull() {
				s.Valid[i] = true
				dec(s, i, v)
			}
			i++
		}
		if err == io.EOF {
			return i - start, nil
		}
		if err != nil {
			return i - start, err
		}
	}
}

// decodeFast decodes numeric pages from their raw value arrays, plain or
// dictionary-encoded, spreading them over the rows by definition levels.
// It reports false for the kinds it does not handle.
func decodeFast(s *featurestore.Series, start int, page pq.Page, maxDef byte, c featurestore.Column) (int, bool) {
	phys, logical, _ := strings.Cut(c.Physical, "/")
	data := page.Data()
	var idx []int32
	if d := page.Dictionary(); d != nil {
		idx = data.Int32()
		data = d.Page().Data()
	}
	defs := page.DefinitionLevels()
	n := int(page.NumValues())
	switch {
	case phys == "DOUBLE" && c.Type == transforms.Float64:
		scatter(s.F64, s.Valid, start, n, defs, maxDef, data.Double(), idx, 1)
	case phys == "FLOAT" && c.Type == transforms.Float64:
		scatter(s.F64, s.Valid, start, n, defs, maxDef, data.Float(), idx, 1)
	case phys == "INT64" && (c.Type == transforms.Int64 || c.Type == transforms.Timestamp):
		mult := int64(1)
		switch {
		case strings.Contains(logical, "MILLIS"):
			mult = 1e6
		case strings.Contains(logical, "MICROS"):
			mult = 1e3
		}
		scatter(s.I64, s.Valid, start, n, defs, maxDef, data.Int64(), idx, mult)
	case phys == "INT32" && (c.Type == transforms.Int64 || c.Type == transforms.Timestamp):
		mult := int64(1)
		if logical == "DATE" {
			mult = 86400e9
		}
		scatter(s.I64, s.Valid, start, n, defs, maxDef, data.Int32(), idx, mult)
	default:
		return 0, false
	}
	return n, true
}

type number interface {
	~int32 | ~int64 | ~float32 | ~float64
}

// scatter writes the page's values, times mult, to dst[start:start+n]:
// value j goes to the j-th row whose definition level is maxDef; other rows
// stay null. idx, when set, maps value j to vals[idx[j]] (a dictionary).
func scatter[T, U number](dst []U, valid []bool, start, n int, defs []byte, maxDef byte, vals []T, idx []int32, mult U) {
	dst, valid = dst[start:start+n], valid[start:start+n]
	switch {
	case len(defs) == 0 && idx == nil:
		for k, v := range vals[:n] {
			dst[k] = U(v) * mult
		}
		for k := range valid {
			valid[k] = true
		}
	case len(defs) == 0:
		for k, x := range idx[:n] {
			dst[k] = U(vals[x]) * mult
		}
		for k := range valid {
			valid[k] = true
		}
	case idx == nil:
		j := 0
		for k, d := range defs[:n] {
			if d == maxDef {
				dst[k] = U(vals[j]) * mult
				valid[k] = true
				j++
			}
		}
	default:
		j := 0
		for k, d := range defs[:n] {
			if d == maxDef {
				dst[k] = U(vals[idx[j]]) * mult
				valid[k] = true
				j++
			}
		}
	}
}

// FileMetadata returns a parquet file's key-value metadata.
func FileMetadata(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "cannot read %s: %v", path, rootCause(err))
	}
	defer f.Close()
	pf, err := openParquet(f, path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		out[kv.Key] = kv.Value
	}
	return out, nil
}
