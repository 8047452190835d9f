package parquet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/filestat"
	"github.com/fs-dev/fs/transforms"
)

// julianUnixEpoch is the Julian day number of 1970-01-01, for INT96.
const julianUnixEpoch = 2440588

// decoder turns one parquet value into a Series row; it reports false
// for a value fs cannot hold (a time outside MinTime..MaxTime).
type decoder func(s *featurestore.Series, i int, v pq.Value) bool

// unsigned32 reports whether an INT32 column holds unsigned values (UINT32
// as a logical or a legacy annotation), which must not be read as signed.
func unsigned32(c featurestore.Column) bool {
	return strings.HasSuffix(c.Physical, "/INT(32,false)") || c.Physical == "INT32/CONVERTED(13)"
}

// decoderFor returns the decoder for a column as its Physical string
// describes it, or an error naming the column when fs cannot read it.
func decoderFor(c featurestore.Column) (decoder, error) {
	phys, logical, _ := strings.Cut(c.Physical, "/")
	switch c.Type {
	case transforms.Float64:
		if phys == "FLOAT" {
			return func(s *featurestore.Series, i int, v pq.Value) bool { s.F64[i] = float64(v.Float()); return true }, nil
		}
		return func(s *featurestore.Series, i int, v pq.Value) bool { s.F64[i] = v.Double(); return true }, nil
	case transforms.Int64:
		switch {
		case unsigned32(c):
			return func(s *featurestore.Series, i int, v pq.Value) bool { s.I64[i] = int64(uint32(v.Int32())); return true }, nil
		case phys == "INT32":
			return func(s *featurestore.Series, i int, v pq.Value) bool { s.I64[i] = int64(v.Int32()); return true }, nil
		}
		return func(s *featurestore.Series, i int, v pq.Value) bool { s.I64[i] = v.Int64(); return true }, nil
	case transforms.Bool:
		return func(s *featurestore.Series, i int, v pq.Value) bool { s.Bool[i] = v.Boolean(); return true }, nil
	case transforms.String:
		return func(s *featurestore.Series, i int, v pq.Value) bool { s.Str[i] = string(v.ByteArray()); return true }, nil
	case transforms.Timestamp:
		if d := timestampDecoder(phys, logical); d != nil {
			return d, nil
		}
	}
	return nil, featurestore.Errorf(featurestore.EINVALID, "column %s has parquet type %s, which fs cannot read", c.Name, c.Physical).
		WithHint("fs reads integer, float, boolean, string and timestamp columns")
}

// timestampDecoder reads a timestamp column into nanoseconds, refusing
// values that do not fit.
func timestampDecoder(phys, logical string) decoder {
	scaled := func(unit int64, get func(pq.Value) int64) decoder {
		return func(s *featurestore.Series, i int, v pq.Value) bool {
			ns, ok := mulChecked(get(v), unit)
			if !ok {
				ns = get(v) // kept raw, for the message
			}
			s.I64[i] = ns
			return ok
		}
	}
	i64 := func(v pq.Value) int64 { return v.Int64() }
	switch {
	case phys == "INT96":
		return func(s *featurestore.Series, i int, v pq.Value) bool {
			b := v.Int96()
			nanosOfDay := int64(uint64(b[1])<<32 | uint64(b[0]))
			days, ok := mulChecked(int64(b[2])-julianUnixEpoch, 86400e9)
			s.I64[i] = days + nanosOfDay
			if !ok || (nanosOfDay > 0 && s.I64[i] < days) {
				s.I64[i] = int64(b[2]) - julianUnixEpoch // days, for the message
				return false
			}
			return true
		}
	case logical == "DATE":
		return scaled(86400e9, func(v pq.Value) int64 { return int64(v.Int32()) })
	case strings.Contains(logical, "MILLIS"):
		return scaled(1e6, i64)
	case strings.Contains(logical, "MICROS"):
		return scaled(1e3, i64)
	case strings.Contains(logical, "NANOS"):
		return scaled(1, i64)
	}
	return nil
}

// mulChecked is x*m, and whether it fits in an int64.
func mulChecked(x, m int64) (int64, bool) {
	y := x * m
	return y, m == 1 || (y/m == x && !(x == -1 && y == math.MinInt64))
}

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
	for i, f := range files {
		s, groups, err := fileLayout(f)
		if err != nil {
			return nil, nil, 0, err
		}
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
func readTasks(ctx context.Context, tasks []readTask, columns int, read func(pf *pq.File, i, ci int) error) error {
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
				pf, err := open.get(tasks[i/columns].file)
				if err == nil {
					err = read(pf, i/columns, i%columns)
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
		if !slices.Contains(s.Valid, false) {
			s.Valid = nil
		}
	}
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
	err = readTasks(ctx, tasks, len(schema), func(pf *pq.File, i, ci int) error {
		return readChunk(pf, tasks[i], schema[ci], decoders[ci], out.Series[ci])
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
	err = readTasks(ctx, wanted, len(schema), func(pf *pq.File, i, ci int) error {
		return readChunkRows(pf, wanted[i], schema[ci], decoders[ci], rows[from[i]:from[i+1]], from[i], out.Series[ci])
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
		pf, err := open.get(t.file)
		if err == nil {
			err = readRowGroup(pf, t.file, t.rg, 0, t.rows, t.off-t.fileStart, schema, decoders, tab)
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

// openFile keeps one parquet file open, so that reading its row groups
// parses its footer once, not once per row group (which made reading a
// file of many small row groups quadratic).
type openFile struct {
	path string
	f    *os.File
	pf   *pq.File
}

func (o *openFile) get(path string) (*pq.File, error) {
	if o.pf != nil && o.path == path {
		return o.pf, nil
	}
	o.close()
	f, err := os.Open(path)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "cannot read %s: %v", path, rootCause(err))
	}
	pf, err := openParquet(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	o.path, o.f, o.pf = path, f, pf
	return pf, nil
}

func (o *openFile) close() {
	if o.f != nil {
		o.f.Close()
	}
	*o = openFile{}
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
	schema, err := schemaOf(pf.Metadata().Schema)
	return schema, rows, err
}

func openParquet(f *os.File, path string) (*pq.File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	pf, err := openChecked(f, st.Size())
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s is not a readable parquet file: %v", path, err).
			WithHint("fs reads parquet files here (as written by pandas, pyarrow, Spark or DuckDB); CSV is read only as an entity file")
	}
	if _, err := schemaOf(pf.Metadata().Schema); err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s is not a readable parquet file: %v", path, err).
			WithHint("the file is damaged; write it again (pandas, pyarrow, DuckDB or Spark)")
	}
	if err := checkCodecs(pf, path); err != nil {
		return nil, err
	}
	if err := checkPagesOnce(f, pf, path, st); err != nil {
		return nil, err
	}
	return pf, nil
}

// checkedFiles holds the files whose pages this process checked, as they
// were (filestat): a file is opened by each pass and worker, and its pages
// are checked once while it stays as it was.
var checkedFiles sync.Map // checkedFile -> struct{}

type checkedFile struct {
	path string
	filestat.Stat
}

func checkPagesOnce(f *os.File, pf *pq.File, path string, st os.FileInfo) error {
	key := checkedFile{path, filestat.Of(st)}
	if _, ok := checkedFiles.Load(key); ok {
		return nil
	}
	started := time.Now()
	if err := checkPages(f, pf, path); err != nil {
		return err
	}
	if key.Settled(started) {
		checkedFiles.Store(key, struct{}{})
	}
	return nil
}

// MaxPageSize is the largest page fs decodes (uncompressed). Writers make
// pages of about 1 MiB; parquet-go allocates what a page header says
// before it reads the page, so a damaged header must not be believed.
const MaxPageSize = 64 << 20

// checkPages reads every page header of every column chunk (a few bytes
// each) and refuses a page that claims more bytes than its chunk holds, or
// more than MaxPageSize once decompressed.
func checkPages(f *os.File, pf *pq.File, path string) error {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	for g, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if err := checkChunkPages(f, size, &c.MetaData); err != nil {
				return featurestore.Errorf(featurestore.EINVALID, "%s: column %s (row group %d): %v", path,
					strings.Join(c.MetaData.PathInSchema, "."), g, err).
					WithHint("the file is damaged; write it again (pandas, pyarrow, DuckDB or Spark)")
			}
		}
	}
	return nil
}

func checkChunkPages(f *os.File, fileSize int64, md *format.ColumnMetaData) error {
	if md.NumValues == 0 && md.TotalCompressedSize >= 0 {
		return nil // an empty row group's chunk: nothing is read (pyarrow writes its data page offset as 0)
	}
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	end := start + md.TotalCompressedSize
	if start < 4 || md.TotalCompressedSize < 0 || end > fileSize || end < start {
		return fmt.Errorf("its pages (bytes %d to %d) are not inside the file (%d bytes)", start, end, fileSize)
	}
	var values int64
	buf := make([]byte, 1<<10) // reused for every header of the chunk
	for off := start; off < end && values < md.NumValues; {
		h, n, err := readPageHeader(f, off, end-off, buf)
		if err != nil {
			return fmt.Errorf("a page header at byte %d cannot be read: %v", off, err)
		}
		off += n
		body := int64(h.CompressedPageSize)
		if body < 0 || body > end-off || h.UncompressedPageSize < 0 || h.UncompressedPageSize > MaxPageSize {
			return fmt.Errorf("a page at byte %d claims %d bytes (%d uncompressed); the chunk holds %d more (fs reads pages up to %d MiB)",
				off, body, h.UncompressedPageSize, end-off, MaxPageSize>>20)
		}
		off += body
		if d, ok := h.DataPageHeader.Get(); ok {
			values += int64(d.NumValues)
		} else if d, ok := h.DataPageHeaderV2.Get(); ok {
			values += int64(d.NumValues)
		}
	}
	return nil
}

// readPageHeader decodes the page header at off from the bytes that are
// there (a window of 1 KiB, which holds a usual header, else 64 KiB, else
// up to 16 MiB for a header with long statistics), so that a length
// inside it cannot make the decoder allocate more than the window; n is
// the header's length.
func readPageHeader(f *os.File, off, left int64, small []byte) (h format.PageHeader, n int64, err error) {
	for _, window := range []int64{int64(len(small)), 64 << 10, 16 << 20} {
		w := min(window, left)
		buf := small[:min(int64(len(small)), w)]
		if w > int64(len(small)) {
			buf = make([]byte, w)
		}
		if _, err = f.ReadAt(buf, off); err != nil && err != io.EOF {
			return h, 0, err
		}
		r := thriftProtocol.NewReaderFromBytes(buf)
		h = format.PageHeader{}
		if err = thrift.NewDecoder(r).Decode(&h); err == nil {
			return h, int64(r.BytesRead()), nil
		}
		if w == left {
			break
		}
	}
	return h, 0, err
}

var thriftProtocol thrift.CompactProtocol

// openChecked opens a parquet file, turning parquet-go's panics on a
// damaged footer into an error.
func openChecked(f *os.File, size int64) (pf *pq.File, err error) {
	if err := checkFooterLength(f, size); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			pf, err = nil, fmt.Errorf("its footer is damaged (%v)", r)
		}
	}()
	return pq.OpenFile(f, size, pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
}

// checkFooterLength refuses a footer longer than the file: parquet-go
// would allocate what the length field says (up to 4 GB) before reading.
func checkFooterLength(f *os.File, size int64) error {
	if size < 12 {
		return fmt.Errorf("it is %d bytes, too short for parquet", size)
	}
	var tail [8]byte
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("its footer length (%d bytes) is more than the file holds (%d bytes)", n, size)
	}
	return nil
}

// checkCodecs refuses compression codecs fs does not decode reliably:
// parquet-go's LZ4 decoder misreads pyarrow's LZ4_RAW pages, and on a
// damaged page it doubles its buffer without end. Refusing at the footer
// makes fs register and fs materialize say so, rather than fail later.
func checkCodecs(pf *pq.File, path string) error {
	for _, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			switch codec := c.MetaData.Codec; codec {
			case format.Lz4, format.Lz4Raw:
				return featurestore.Errorf(featurestore.EINVALID, "%s: column %s is compressed with %s, which fs cannot read",
					path, strings.Join(c.MetaData.PathInSchema, "."), codec).
					WithHint("write the file again with zstd or snappy (pandas: df.to_parquet(path, compression=\"zstd\"))")
			}
		}
	}
	return nil
}

// readRowGroup decodes the schema's columns of one row group into dst at
// rows [off, off+rows); fileRow is the group's first row in its file, for
// messages.
func readRowGroup(pf *pq.File, path string, rg, off, rows, fileRow int, schema featurestore.Schema, decoders []decoder, dst *featurestore.Table) error {
	t := readTask{file: path, rg: rg, off: off, rows: rows, fileStart: off - fileRow}
	for ci, c := range schema {
		if err := readChunk(pf, t, c, decoders[ci], dst.Series[ci]); err != nil {
			return err
		}
	}
	return nil
}

// chunkOf is column c's chunk in a row group, and its leaf's maximum
// definition level.
func chunkOf(pf *pq.File, t readTask, c featurestore.Column) (pq.ColumnChunk, byte, error) {
	leaf, ok := pf.Schema().Lookup(c.Name)
	if !ok {
		return nil, 0, fmt.Errorf("%s: column %s vanished", t.file, c.Name)
	}
	return pf.RowGroups()[t.rg].ColumnChunks()[leaf.ColumnIndex], byte(leaf.MaxDefinitionLevel), nil
}

// readChunk decodes column c of a task's row group into s at its rows. A
// damaged page is an error naming the file and column, never a panic.
func readChunk(pf *pq.File, t readTask, c featurestore.Column, dec decoder, s *featurestore.Series) (err error) {
	defer recoverDamaged(&err, t, c)
	chunk, maxDef, err := chunkOf(pf, t, c)
	if err != nil {
		return err
	}
	if err := readColumn(chunk.Pages(), s, t.off, t.rows, maxDef, c, dec); err != nil {
		var oor outOfRange
		if errors.As(err, &oor) {
			return featurestore.TimeRangeError(fmt.Sprintf("%s: column %s, row %d", t.file, c.Name, oor.row-t.fileStart+1), oor.t)
		}
		return damagedColumn(t.file, c.Name, t.rg, err.Error())
	}
	return nil
}

// recoverDamaged turns a panic while decoding column c into an error.
func recoverDamaged(err *error, t readTask, c featurestore.Column) {
	if r := recover(); r != nil {
		*err = damagedColumn(t.file, c.Name, t.rg, fmt.Sprint(r))
	}
}

// readChunkRows decodes, in column c of a task's row group, the pages
// that hold the rows wanted (table row numbers, ascending) and copies
// their values to s from row at on.
func readChunkRows(pf *pq.File, t readTask, c featurestore.Column, dec decoder, want []int64, at int, s *featurestore.Series) (err error) {
	defer recoverDamaged(&err, t, c)
	chunk, maxDef, err := chunkOf(pf, t, c)
	if err != nil {
		return err
	}
	pr := pageRows{pages: chunk.Pages(), maxDef: maxDef, col: c, dec: dec}
	bad, err := pr.copyRows(s, want, at, int64(t.off), t.rows)
	if err != nil {
		return damagedColumn(t.file, c.Name, t.rg, err.Error())
	}
	if bad >= 0 {
		return featurestore.TimeRangeError(fmt.Sprintf("%s: column %s, row %d", t.file, c.Name, t.off-t.fileStart+bad+1),
			rawTime(pr.scratch, pr.badAt, c))
	}
	return nil
}

// pageRows reads one column chunk's pages, decoding only those that hold
// a wanted row, each into scratch.
type pageRows struct {
	pages   pq.Pages
	maxDef  byte
	col     featurestore.Column
	dec     decoder
	scratch *featurestore.Series
	badAt   int // the scratch row of the value out of range
	dict    stringDict
}

// copyRows copies the wanted rows (ascending, in [off, off+rows)) to dst
// from row at on; bad is the first wanted row's place in the group whose
// value is out of range, or -1.
func (pr *pageRows) copyRows(dst *featurestore.Series, want []int64, at int, off int64, rows int) (bad int, err error) {
	defer pr.pages.Close()
	start, k := off, 0
	for k < len(want) {
		page, err := pr.pages.ReadPage()
		if err == io.EOF {
			return -1, fmt.Errorf("%d values for %d rows", start-off, rows)
		}
		if err != nil {
			return -1, err
		}
		n := page.NumValues()
		if start+n > off+int64(rows) {
			pq.Release(page)
			return -1, fmt.Errorf("more values than rows")
		}
		if want[k] >= start+n {
			pq.Release(page)
			start += n
			continue
		}
		b, err := pr.decode(page, int(n))
		pq.Release(page)
		if err != nil {
			return -1, err
		}
		if b >= 0 {
			pr.badAt = b
			return int(start-off) + b, nil
		}
		for ; k < len(want) && want[k] < start+n; k++ {
			copyValue(dst, at+k, pr.scratch, int(want[k]-start))
		}
		start += n
	}
	return -1, nil
}

// decode decodes a page of n values into scratch's first n rows.
func (pr *pageRows) decode(page pq.Page, n int) (bad int, err error) {
	if pr.scratch == nil || len(pr.scratch.Valid) < n {
		pr.scratch = featurestore.NewSeries(pr.col.Name, pr.col.Type, n)
		pr.scratch.Physical = pr.col.Physical
		pr.scratch.Valid = make([]bool, n)
	}
	clear(pr.scratch.Valid[:n])
	_, bad, ok := decodeFast(pr.scratch, 0, page, pr.maxDef, pr.col, &pr.dict)
	if !ok {
		_, bad, err = decodeValues(pr.scratch, 0, page, pr.dec)
	}
	return bad, err
}

// copyValue sets dst's row j to src's row i, null included; a string is
// copied.
func copyValue(dst *featurestore.Series, j int, src *featurestore.Series, i int) {
	if src.Null(i) {
		dst.Valid[j] = false
		return
	}
	dst.Valid[j] = true
	switch dst.Type {
	case transforms.Float64:
		dst.F64[j] = src.F64[i]
	case transforms.Int64, transforms.Timestamp:
		dst.I64[j] = src.I64[i]
	case transforms.Bool:
		dst.Bool[j] = src.Bool[i]
	case transforms.String:
		// A copy: the scratch's strings share their page's bytes, which
		// a few rows picked must not keep.
		dst.Str[j] = strings.Clone(src.Str[i])
	}
}

func damagedColumn(path, column string, rg int, why string) error {
	return featurestore.Errorf(featurestore.EINVALID, "%s: column %s (row group %d) cannot be decoded: %s", path, column, rg, why).
		WithHint("the file is damaged or written in a way fs cannot read; write it again (pandas, pyarrow, DuckDB or Spark)")
}

// outOfRange is a timestamp that does not fit in nanoseconds, at a row of
// the table.
type outOfRange struct {
	row int
	t   time.Time
}

func (o outOfRange) Error() string { return "timestamp out of range" }

// readColumn decodes one column chunk's pages into s at [off, off+rows).
func readColumn(pages pq.Pages, s *featurestore.Series, off, rows int, maxDef byte, c featurestore.Column, dec decoder) error {
	defer pages.Close()
	i := off
	var dict stringDict
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if int(page.NumValues()) > off+rows-i {
			pq.Release(page)
			return fmt.Errorf("more values than rows")
		}
		n, bad, ok := decodeFast(s, i, page, maxDef, c, &dict)
		if !ok {
			n, bad, err = decodeValues(s, i, page, dec)
		}
		pq.Release(page)
		if err != nil {
			return err
		}
		if bad >= 0 {
			return outOfRange{row: bad, t: rawTime(s, bad, c)}
		}
		i += n
	}
	if i != off+rows {
		return fmt.Errorf("%d values for %d rows", i-off, rows)
	}
	return nil
}

// rawTime is the time a column's raw value at row i stands for, for the
// message about a value out of range (the series holds it unscaled there).
func rawTime(s *featurestore.Series, i int, c featurestore.Column) time.Time {
	phys, logical, _ := strings.Cut(c.Physical, "/")
	v := s.I64[i]
	switch {
	case logical == "DATE" || phys == "INT96":
		return time.Unix(v*86400, 0).UTC()
	case strings.Contains(logical, "MILLIS"):
		return time.UnixMilli(v).UTC()
	case strings.Contains(logical, "MICROS"):
		return time.UnixMicro(v).UTC()
	}
	return time.Unix(0, v).UTC()
}

// decodeValues is the general path: one parquet.Value at a time. bad is
// the first row whose value fs cannot hold, or -1.
func decodeValues(s *featurestore.Series, start int, page pq.Page, dec decoder) (n, bad int, err error) {
	buf := make([]pq.Value, 1024)
	vr := page.Values()
	i := start
	bad = -1
	for {
		n, err := vr.ReadValues(buf)
		for _, v := range buf[:n] {
			if i >= len(s.Valid) {
				return i - start, bad, fmt.Errorf("more values than rows")
			}
			if !v.IsNull() {
				s.Valid[i] = true
				if !dec(s, i, v) && bad < 0 {
					bad = i
				}
			}
			i++
		}
		if err == io.EOF {
			return i - start, bad, nil
		}
		if err != nil {
			return i - start, bad, err
		}
	}
}

// decodeFast decodes numeric pages from their raw value arrays, plain or
// dictionary-encoded, spreading them over the rows by definition levels.
// It reports false for the kinds it does not handle; bad is as for
// decodeValues.
func decodeFast(s *featurestore.Series, start int, page pq.Page, maxDef byte, c featurestore.Column, dict *stringDict) (n, bad int, ok bool) {
	phys, logical, _ := strings.Cut(c.Physical, "/")
	data := page.Data()
	var idx []int32
	d := page.Dictionary()
	if d != nil {
		idx = data.Int32()
		data = d.Page().Data()
	}
	defs := page.DefinitionLevels()
	n = int(page.NumValues())
	switch {
	case phys == "BYTE_ARRAY" && c.Type == transforms.String && d != nil:
		scatterStrings(s.Str, s.Valid, start, n, defs, maxDef, dict.of(d, data), idx)
		return n, -1, true
	case phys == "BYTE_ARRAY" && c.Type == transforms.String:
		scatterStrings(s.Str, s.Valid, start, n, defs, maxDef, stringsOf(data), nil)
		return n, -1, true
	case phys == "DOUBLE" && c.Type == transforms.Float64:
		bad = scatter(s.F64, s.Valid, start, n, defs, maxDef, data.Double(), idx, 1)
	case phys == "FLOAT" && c.Type == transforms.Float64:
		bad = scatter(s.F64, s.Valid, start, n, defs, maxDef, data.Float(), idx, 1)
	case phys == "INT64" && (c.Type == transforms.Int64 || c.Type == transforms.Timestamp):
		mult := int64(1)
		switch {
		case strings.Contains(logical, "MILLIS"):
			mult = 1e6
		case strings.Contains(logical, "MICROS"):
			mult = 1e3
		}
		bad = scatter(s.I64, s.Valid, start, n, defs, maxDef, data.Int64(), idx, mult)
	case phys == "INT32" && unsigned32(c):
		bad = scatter(s.I64, s.Valid, start, n, defs, maxDef, data.Uint32(), idx, 1)
	case phys == "INT32" && (c.Type == transforms.Int64 || c.Type == transforms.Timestamp):
		mult := int64(1)
		if logical == "DATE" {
			mult = 86400e9
		}
		bad = scatter(s.I64, s.Valid, start, n, defs, maxDef, data.Int32(), idx, mult)
	default:
		return 0, -1, false
	}
	return n, bad, true
}

type number interface {
	~int32 | ~uint32 | ~int64 | ~float32 | ~float64
}

// stringDict is a column chunk's dictionary of strings, made once for
// all its pages.
type stringDict struct {
	d    pq.Dictionary
	strs []string
}

// of is the strings of dictionary d, whose values are data.
func (sd *stringDict) of(d pq.Dictionary, data encoding.Values) []string {
	if sd.d != d {
		sd.d, sd.strs = d, stringsOf(data)
	}
	return sd.strs
}

// stringsOf copies byte-array values into strings that share one
// allocation.
func stringsOf(data encoding.Values) []string {
	b, offsets := data.ByteArray()
	all := string(b)
	out := make([]string, max(len(offsets)-1, 0))
	for k := range out {
		out[k] = all[offsets[k]:offsets[k+1]]
	}
	return out
}

// scatterStrings is scatter for strings, without scaling.
func scatterStrings(dst []string, valid []bool, start, n int, defs []byte, maxDef byte, vals []string, idx []int32) {
	dst, valid = dst[start:start+n], valid[start:start+n]
	j := 0
	for k := range dst {
		if len(defs) > 0 && defs[k] != maxDef {
			continue
		}
		if idx != nil {
			dst[k] = vals[idx[j]]
		} else {
			dst[k] = vals[j]
		}
		valid[k] = true
		j++
	}
}

// scatter writes the page's values, times mult, to dst[start:start+n]:
// value j goes to the j-th row whose definition level is maxDef; other rows
// stay null. idx, when set, maps value j to vals[idx[j]] (a dictionary).
// A damaged page indexes out of range and panics, which readRowGroup turns
// into an error. It returns the first row (in dst's terms) whose value
// overflowed the multiplication, kept there unscaled, or -1.
func scatter[T, U number](dst []U, valid []bool, start, n int, defs []byte, maxDef byte, vals []T, idx []int32, mult U) int {
	if mult != 1 {
		return scatterScaled(dst, valid, start, n, defs, maxDef, vals, idx, mult)
	}
	dst, valid = dst[start:start+n], valid[start:start+n]
	switch {
	case len(defs) == 0 && idx == nil:
		for k, v := range vals[:n] {
			dst[k] = U(v)
		}
		for k := range valid {
			valid[k] = true
		}
	case len(defs) == 0:
		for k, x := range idx[:n] {
			dst[k] = U(vals[x])
		}
		for k := range valid {
			valid[k] = true
		}
	case idx == nil:
		j := 0
		for k, d := range defs[:n] {
			if d == maxDef {
				dst[k] = U(vals[j])
				valid[k] = true
				j++
			}
		}
	default:
		j := 0
		for k, d := range defs[:n] {
			if d == maxDef {
				dst[k] = U(vals[idx[j]])
				valid[k] = true
				j++
			}
		}
	}
	return -1
}

// scatterScaled is scatter for timestamps and dates, whose scaling to
// nanoseconds can overflow.
func scatterScaled[T, U number](dst []U, valid []bool, start, n int, defs []byte, maxDef byte, vals []T, idx []int32, mult U) int {
	dst, valid = dst[start:start+n], valid[start:start+n]
	bad := -1
	put := func(k, j int) {
		if idx != nil {
			j = int(idx[j])
		}
		v := U(vals[j])
		y := v * mult
		if y/mult != v {
			if bad < 0 {
				bad = start + k
			}
			y = v
		}
		dst[k], valid[k] = y, true
	}
	if len(defs) == 0 {
		for k := 0; k < n; k++ {
			put(k, k)
		}
		return bad
	}
	j := 0
	for k, d := range defs[:n] {
		if d == maxDef {
			put(k, j)
			j++
		}
	}
	return bad
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

// Layout reads only the footers of files: the first file's schema and the
// number of rows in all of them.
func Layout(files []string) (featurestore.Schema, int64, error) {
	var schema featurestore.Schema
	var total int64
	for i, f := range files {
		s, rows, err := fileLayout(f)
		if err != nil {
			return nil, 0, err
		}
		if i == 0 {
			schema = s
		}
		for _, n := range rows {
			total += n
		}
	}
	return schema, total, nil
}
