package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
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
// Row groups are read in parallel. A timestamp without UTC adjustment is
// read as UTC.
func ReadTable(ctx context.Context, files []string, names []string) (*featurestore.Table, featurestore.Schema, error) {
	var schema featurestore.Schema
	type task struct {
		file string
		rg   int
		rows int64
	}
	var tasks []task
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
			tasks = append(tasks, task{file: f, rg: g, rows: rows})
		}
	}
	decoders := make([]decoder, len(schema))
	for i, c := range schema {
		d, err := decoderFor(c)
		if err != nil {
			return nil, nil, err
		}
		decoders[i] = d
	}
	parts := make([]*featurestore.Table, len(tasks))
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
				parts[i], errs[i] = readRowGroup(tasks[i].file, tasks[i].rg, int(tasks[i].rows), schema, decoders)
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
	return concat(schema, parts), schema, nil
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

// readRowGroup decodes the schema's columns of one row group.
func readRowGroup(path string, rg, rows int, schema featurestore.Schema, decoders []decoder) (*featurestore.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pf, err := openParquet(f, path)
	if err != nil {
		return nil, err
	}
	group := pf.RowGroups()[rg]
	t := &featurestore.Table{Rows: rows}
	buf := make([]pq.Value, 4096)
	for ci, c := range schema {
		leaf, ok := pf.Schema().Lookup(c.Name)
		if !ok {
			return nil, fmt.Errorf("%s: column %s vanished", path, c.Name)
		}
		s := featurestore.NewSeries(c.Name, c.Type, rows)
		s.Physical = c.Physical
		pages := group.ColumnChunks()[leaf.ColumnIndex].Pages()
		i := 0
		for {
			page, err := pages.ReadPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				pages.Close()
				return nil, fmt.Errorf("read %s column %s: %w", path, c.Name, err)
			}
			vr := page.Values()
			for {
				n, err := vr.ReadValues(buf)
				for _, v := range buf[:n] {
					if i >= rows {
						break
					}
					if v.IsNull() {
						s.SetNull(i, rows)
					} else {
						decoders[ci](s, i, v)
					}
					i++
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					pq.Release(page)
					pages.Close()
					return nil, fmt.Errorf("read %s column %s: %w", path, c.Name, err)
				}
			}
			pq.Release(page)
		}
		pages.Close()
		if i != rows {
			return nil, fmt.Errorf("%s column %s: %d values for %d rows", path, c.Name, i, rows)
		}
		t.Series = append(t.Series, s)
	}
	return t, nil
}

// concat joins row-group tables in order.
func concat(schema featurestore.Schema, parts []*featurestore.Table) *featurestore.Table {
	total := 0
	for _, p := range parts {
		total += p.Rows
	}
	out := &featurestore.Table{Rows: total}
	for ci, c := range schema {
		s := featurestore.NewSeries(c.Name, c.Type, total)
		s.Physical = c.Physical
		off := 0
		for _, p := range parts {
			ps := p.Series[ci]
			switch {
			case s.F64 != nil:
				copy(s.F64[off:], ps.F64)
			case s.I64 != nil:
				copy(s.I64[off:], ps.I64)
			case s.Bool != nil:
				copy(s.Bool[off:], ps.Bool)
			case s.Str != nil:
				copy(s.Str[off:], ps.Str)
			}
			if ps.Valid != nil {
				for j, ok := range ps.Valid {
					if !ok {
						s.SetNull(off+j, total)
					}
				}
			}
			off += p.Rows
		}
		out.Series = append(out.Series, s)
	}
	return out
}
