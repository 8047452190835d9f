package parquet

import (
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/filestat"
)

// openFile keeps one parquet file open, so that reading its row groups
// parses its footer once, not once per row group (which made reading a
// file of many small row groups quadratic).
type openFile struct {
	path string
	in   input
	f    file
}

func (o *openFile) get(ctx context.Context, path string) (*file, error) {
	if o.in != nil && o.path == path {
		return &o.f, nil
	}
	o.close()
	in, pf, obj, err := openPath(ctx, path)
	if err != nil {
		return nil, err
	}
	local, _ := in.(*os.File)
	o.path, o.in, o.f = path, in, file{pf: pf, obj: obj, local: local}
	return &o.f, nil
}

func (o *openFile) close() {
	if o.in != nil {
		o.in.Close()
	}
	*o = openFile{}
}

// openPath opens a parquet file or object; the caller closes in.
func openPath(ctx context.Context, path string) (in input, pf *pq.File, obj *objectCache, err error) {
	in, size, obj, err := openInput(ctx, path)
	if err != nil {
		return nil, nil, nil, err
	}
	if pf, err = openParquet(in, size, path, obj); err != nil {
		in.Close()
		return nil, nil, nil, err
	}
	return in, pf, obj, nil
}

// withFile opens path, calls fn with its footer, and closes it.
func withFile(ctx context.Context, path string, fn func(pf *pq.File) error) error {
	in, pf, _, err := openPath(ctx, path)
	if err != nil {
		return err
	}
	defer in.Close()
	return fn(pf)
}

// footerWorkers is how many files' footers are read at once: an object's
// footer is a request or two, and a source of many objects read one file
// after another waited for each in turn.
const footerWorkers = 16

// eachFooter calls fn(i, pf) with the footer of each file i, up to
// footerWorkers files at a time, and returns each file's error. After an
// error no further file is begun, so every file before the first failed
// one is done: a caller going through the errors in file order meets the
// one a loop would have met, and never a file left undone.
func eachFooter(ctx context.Context, files []string, fn func(i int, pf *pq.File) error) []error {
	errs := make([]error, len(files))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(footerWorkers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(files) && !failed.Load(); i = int(next.Add(1)) - 1 {
				if errs[i] = withFile(ctx, files[i], func(pf *pq.File) error { return fn(i, pf) }); errs[i] != nil {
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// layout is a file's schema and the row count of each row group.
type layout struct {
	schema featurestore.Schema
	rows   []int64
}

func layoutOf(pf *pq.File) (l layout, err error) {
	for _, rg := range pf.Metadata().RowGroups {
		l.rows = append(l.rows, rg.NumRows)
	}
	l.schema, err = schemaOf(pf.Metadata().Schema)
	return l, err
}

// fileLayouts reads the layout of each file, several at a time; errs[i]
// is file i's error (see eachFooter).
func fileLayouts(ctx context.Context, files []string) (out []layout, errs []error) {
	out = make([]layout, len(files))
	errs = eachFooter(ctx, files, func(i int, pf *pq.File) (err error) {
		out[i], err = layoutOf(pf)
		return err
	})
	return out, errs
}

// openParquet reads and checks a file's footer; a local file's pages are
// checked here (once while it stays as it was), an object's chunk by
// chunk as they are read.
func openParquet(in input, size int64, path string, obj *objectCache) (*pq.File, error) {
	if obj != nil {
		if err := obj.holdFooter(); err != nil {
			return nil, err
		}
	}
	pf, err := openChecked(in, size)
	var unread *featurestore.Error
	if errors.As(err, &unread) { // the store's (an object replaced, a store out of reach), not the file's
		return nil, err
	}
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
	if f, ok := in.(*os.File); ok {
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", path, err)
		}
		if err := checkPagesOnce(f, pf, path, st); err != nil {
			return nil, err
		}
	}
	return pf, nil
}

// checkedFiles holds the files whose pages this process checked, as they
// were (filestat): a file is opened by each pass and worker, and its pages
// are checked once while it stays as it was. It keeps the most recently
// used maxCheckedFiles, so that a server reading file after file does not
// grow it for ever.
var checkedFiles = newRecentSet(maxCheckedFiles)

// maxCheckedFiles bounds checkedFiles: a few hundred bytes each.
const maxCheckedFiles = 4096

type checkedFile struct {
	path string
	filestat.Stat
}

func checkPagesOnce(f *os.File, pf *pq.File, path string, st os.FileInfo) error {
	key := checkedFile{path, filestat.Of(st)}
	if checkedFiles.has(key) {
		return nil
	}
	started := time.Now()
	if err := checkPages(f, pf, path); err != nil {
		return err
	}
	if key.Settled(started) {
		checkedFiles.add(key)
	}
	return nil
}

// recentSet is a set that keeps its most recently used limit members.
type recentSet struct {
	mu    sync.Mutex
	limit int
	order *list.List // front: the most recent
	at    map[checkedFile]*list.Element
}

func newRecentSet(limit int) *recentSet {
	return &recentSet{limit: limit, order: list.New(), at: map[checkedFile]*list.Element{}}
}

// has reports whether k is a member, and makes it the most recent.
func (r *recentSet) has(k checkedFile) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.at[k]
	if ok {
		r.order.MoveToFront(e)
	}
	return ok
}

// add makes k the most recent member, dropping the least recent past the
// limit.
func (r *recentSet) add(k checkedFile) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.at[k]; ok {
		r.order.MoveToFront(e)
		return
	}
	r.at[k] = r.order.PushFront(k)
	for r.order.Len() > r.limit {
		last := r.order.Back()
		r.order.Remove(last)
		delete(r.at, last.Value.(checkedFile))
	}
}

// len is the number of members.
func (r *recentSet) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len()
}

// MaxPageSize is the largest page fs decodes (uncompressed). Writers make
// pages of about 1 MiB; parquet-go allocates what a page header says
// before it reads the page, so a damaged header must not be believed.
const MaxPageSize = 64 << 20

// checkPages reads every page header of every column chunk (a few bytes
// each) and refuses a page that claims more bytes than its chunk holds, or
// more than MaxPageSize once decompressed.
func checkPages(f *os.File, pf *pq.File, path string) error {
	size := pf.Size()
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

func checkChunkPages(f io.ReaderAt, fileSize int64, md *format.ColumnMetaData) error {
	start, end, err := chunkRange(md, fileSize)
	if err != nil || start == end {
		return err
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

// chunkRange is the bytes [start, end) of a column chunk's pages, checked
// to lie inside the file; start == end for an empty row group's chunk,
// of which nothing is read (pyarrow writes its data page offset as 0).
func chunkRange(md *format.ColumnMetaData, fileSize int64) (start, end int64, err error) {
	if md.NumValues == 0 && md.TotalCompressedSize >= 0 {
		return 0, 0, nil
	}
	start = md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	end = start + md.TotalCompressedSize
	if start < 4 || md.TotalCompressedSize < 0 || end > fileSize || end < start {
		return 0, 0, fmt.Errorf("its pages (bytes %d to %d) are not inside the file (%d bytes)", start, end, fileSize)
	}
	return start, end, nil
}

// readPageHeader decodes the page header at off from the bytes that are
// there (a window of 1 KiB, which holds a usual header, else 64 KiB, else
// up to 16 MiB for a header with long statistics), so that a length
// inside it cannot make the decoder allocate more than the window; n is
// the header's length.
func readPageHeader(f io.ReaderAt, off, left int64, small []byte) (h format.PageHeader, n int64, err error) {
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
func openChecked(f io.ReaderAt, size int64) (pf *pq.File, err error) {
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

// minParquetSize is the shortest a parquet file can be: the magic "PAR1"
// at its start, and a footer's length and the magic at its end.
const minParquetSize = 12

// footerLength is the length of the footer that the bytes end with, as
// their last 8 bytes say (a 4-byte length, then the magic "PAR1").
func footerLength(end []byte) int64 {
	return int64(binary.LittleEndian.Uint32(end[len(end)-8:]))
}

// checkFooterLength refuses a footer longer than the file: parquet-go
// would allocate what the length field says (up to 4 GB) before reading.
func checkFooterLength(f io.ReaderAt, size int64) error {
	if size < minParquetSize {
		return fmt.Errorf("it is %d bytes, too short for parquet", size)
	}
	var tail [8]byte
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if n := footerLength(tail[:]); n > size-minParquetSize {
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
