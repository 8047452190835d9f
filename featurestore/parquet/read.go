package parquet

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unsafe"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/featurestore"
)

// readTask is one row group to read: rows [off, off+rows) of the table,
// the file's rows starting at fileStart.
type readTask struct {
	file      string
	rg        int
	off       int
	rows      int
	fileStart int
}

// planRead checks that every file has the named columns with the same
// types and lists their row groups, in file order.
func planRead(ctx context.Context, files []string, names []string) (featurestore.Schema, []readTask, int, error) {
	var schema featurestore.Schema
	var tasks []readTask
	total := 0
	layouts, errs := fileLayouts(ctx, files)
	for i, f := range files {
		if errs[i] != nil {
			return nil, nil, 0, errs[i]
		}
		s, groups := layouts[i].schema, layouts[i].rows
		var cols featurestore.Schema
		for _, n := range names {
			c, ok := s.Lookup(n)
			if !ok {
				return nil, nil, 0, featurestore.Errorf(featurestore.EINVALID, "%s has no column %q", f, n).
					WithHint("the file's columns are %s", strings.Join(s.Names(), ", "))
			}
			cols = append(cols, c)
		}
		if i == 0 {
			schema = cols
		} else if d := diffSchema(schema, cols); d != "" {
			return nil, nil, 0, featurestore.Errorf(featurestore.EINVALID, "%s does not match %s: %s", f, files[0], d).
				WithHint("every file of a source must have the same columns and types")
		}
		fileStart := total
		for g, rows := range groups {
			if rows < 0 || int64(total)+rows > math.MaxInt32*64 {
				return nil, nil, 0, checkMemory(ctx, f, math.MaxInt64/64, cols)
			}
			tasks = append(tasks, readTask{file: f, rg: g, off: total, rows: int(rows), fileStart: fileStart})
			total += int(rows)
		}
	}
	return schema, tasks, total, nil
}

// newTable is a table of the schema's columns with rows rows, each row's
// validity to be set by the reader.
func newTable(schema featurestore.Schema, rows int) (*featurestore.Table, []decoder, error) {
	decoders := make([]decoder, len(schema))
	out := &featurestore.Table{Rows: rows}
	for i, c := range schema {
		d, err := decoderFor(c)
		if err != nil {
			return nil, nil, err
		}
		decoders[i] = d
		s := featurestore.NewSeries(c.Name, c.Type, rows)
		s.Physical = c.Physical
		s.Valid = make([]bool, rows)
		out.Series = append(out.Series, s)
	}
	return out, decoders, nil
}

// readTasks runs read on each column ci of each task i, in parallel, and
// returns the first error in their order; each worker opens a file once
// for its tasks (they come in file order).
func readTasks(ctx context.Context, tasks []readTask, columns int, read func(f *file, i, ci int) error) error {
	errs := make([]error, len(tasks)*columns)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var open openFile
			defer open.close()
			for i := range next {
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					continue
				}
				f, err := open.get(ctx, tasks[i/columns].file)
				if err == nil {
					err = read(f, i/columns, i%columns)
				}
				errs[i] = err
			}
		}()
	}
	for i := range errs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// allValid drops the validity of the columns without a null.
func allValid(t *featurestore.Table) {
	for _, s := range t.Series {
		if !hasFalse(s.Valid) {
			s.Valid = nil
		}
	}
}

// hasFalse is slices.Contains(v, false) as a byte search, which the
// runtime does many bytes at a time (a bool is one byte, 0 or 1).
func hasFalse(v []bool) bool {
	return bytes.IndexByte(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)), 0) >= 0
}

// ReadTable reads the named columns of every file (all must have them,
// with the same types) into one table, rows in file order then row order.
// Row groups are decoded in parallel, each straight into its place. A
// timestamp without UTC adjustment is read as UTC.
func ReadTable(ctx context.Context, files []string, names []string) (*featurestore.Table, featurestore.Schema, error) {
	schema, tasks, total, err := planRead(ctx, files, names)
	if err != nil {
		return nil, nil, err
	}
	if err := checkMemory(ctx, strings.Join(files, ", "), int64(total), schema); err != nil {
		return nil, nil, err
	}
	out, decoders, err := newTable(schema, total)
	if err != nil {
		return nil, nil, err
	}
	err = readTasks(ctx, tasks, len(schema), func(f *file, i, ci int) error {
		return readChunk(f, tasks[i], schema[ci], decoders[ci], out.Series[ci])
	})
	if err != nil {
		return nil, nil, err
	}
	allValid(out)
	return out, schema, nil
}

// ReadRows reads the named columns of some rows of the files: rows are
// numbered as ReadTable numbers them, ascending, without repeats; row k
// of the table is source row rows[k]. Only the pages that hold one of the
// rows are decoded (so a value out of range elsewhere is not seen).
func ReadRows(ctx context.Context, files []string, names []string, rows []int64) (*featurestore.Table, error) {
	schema, tasks, _, err := planRead(ctx, files, names)
	if err != nil {
		return nil, err
	}
	out, decoders, err := newTable(schema, len(rows))
	if err != nil {
		return nil, err
	}
	// The row groups holding a wanted row, and which rows each holds.
	var wanted []readTask
	var from []int // wanted[k]'s rows are rows[from[k]:from[k+1]]
	for _, t := range tasks {
		lo := sort.Search(len(rows), func(k int) bool { return rows[k] >= int64(t.off) })
		hi := sort.Search(len(rows), func(k int) bool { return rows[k] >= int64(t.off+t.rows) })
		if lo < hi {
			wanted, from = append(wanted, t), append(from, lo)
		}
	}
	from = append(from, len(rows))
	err = readTasks(ctx, wanted, len(schema), func(f *file, i, ci int) error {
		return readChunkRows(f, wanted[i], schema[ci], decoders[ci], rows[from[i]:from[i+1]], from[i], out.Series[ci])
	})
	if err != nil {
		return nil, err
	}
	allValid(out)
	return out, nil
}

// ScanRowGroups reads the named columns of every file one row group at a
// time, in order, and calls fn with each as a table, so that memory is
// bounded by a row group.
func ScanRowGroups(ctx context.Context, files []string, names []string, fn func(*featurestore.Table) error) (featurestore.Schema, error) {
	schema, tasks, _, err := planRead(ctx, files, names)
	if err != nil {
		return nil, err
	}
	if _, _, err := newTable(schema, 0); err != nil { // a column fs cannot read, before any work
		return nil, err
	}
	var open openFile
	defer open.close()
	for _, t := range tasks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := checkMemory(ctx, fmt.Sprintf("%s row group %d", t.file, t.rg), int64(t.rows), schema); err != nil {
			return nil, err
		}
		tab, decoders, err := newTable(schema, t.rows)
		if err != nil {
			return nil, err
		}
		f, err := open.get(ctx, t.file)
		if err == nil {
			err = readRowGroup(f, t.file, t.rg, 0, t.rows, t.off-t.fileStart, schema, decoders, tab)
		}
		if err != nil {
			return nil, err
		}
		allValid(tab)
		if err := fn(tab); err != nil {
			return nil, err
		}
	}
	return schema, nil
}

// FileMetadata returns a parquet file's key-value metadata.
func FileMetadata(path string) (map[string]string, error) {
	out := map[string]string{}
	err := withFile(context.Background(), path, func(pf *pq.File) error {
		for _, kv := range pf.Metadata().KeyValueMetadata {
			out[kv.Key] = kv.Value
		}
		return nil
	})
	return out, err
}

// Layout reads only the footers of files: the first file's schema and the
// number of rows in all of them.
func Layout(ctx context.Context, files []string) (featurestore.Schema, int64, error) {
	var schema featurestore.Schema
	var total int64
	layouts, errs := fileLayouts(ctx, files)
	for i := range files {
		if errs[i] != nil {
			return nil, 0, errs[i]
		}
		if i == 0 {
			schema = layouts[i].schema
		}
		for _, n := range layouts[i].rows {
			total += n
		}
	}
	return schema, total, nil
}
