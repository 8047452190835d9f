package parquet

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
)

// input is a parquet file's bytes: a local file, or an object in a bucket
// read through a cache of the ranges being decoded.
type input interface {
	io.ReaderAt
	Close() error
}

// file is an open parquet file; obj is set for a bucket's object.
type file struct {
	pf    *pq.File
	obj   *objectCache
	local *os.File // a local file, which fs's own page reader reads (pages.go)
}

// openInput opens path for reading: a bucket's object when a blob store
// handles its scheme (the version ctx's pins hold, see blob.Pins), else a
// local file.
func openInput(ctx context.Context, path string) (input, int64, *objectCache, error) {
	if store, ok := blob.For(path); ok {
		r, err := blob.Open(ctx, store, path)
		if err != nil {
			return nil, 0, nil, err
		}
		c := &objectCache{r: r, size: r.Object().Size}
		return c, c.size, c, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, featurestore.Errorf(featurestore.EINVALID, "cannot read %s: %v", path, rootCause(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	return f, st.Size(), nil, nil
}

// objectCache reads an object by ranges, holding the footer and the
// column chunk being decoded so that parquet's small reads are served
// from memory, not one request each.
type objectCache struct {
	r    blob.Reader
	size int64
	mu   sync.Mutex
	held []heldRange // the footer, then the chunk being read
}

type heldRange struct {
	off  int64
	data []byte
}

// fetchPart is the size of the ranged reads a held range is fetched in,
// in parallel.
const fetchPart = 8 << 20

// fetchers is how many ranged reads run at once for one range.
const fetchers = 8

func (c *objectCache) Close() error { return c.r.Close() }

// ReadAt serves p from a held range that covers it, else reads it.
func (c *objectCache) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	for _, h := range c.held {
		if off >= h.off && off+int64(len(p)) <= h.off+int64(len(h.data)) {
			n := copy(p, h.data[off-h.off:])
			c.mu.Unlock()
			return n, nil
		}
	}
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}

// hold fetches [off, off+n) (clipped to the object) and keeps it: slot 0
// is the footer's, slot 1 the chunk's, which replaces the one before.
func (c *objectCache) hold(slot int, off, n int64) error {
	n = min(n, c.size-off)
	if n <= 0 {
		return nil
	}
	data := make([]byte, n)
	if err := fetch(c.r, data, off); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.held) <= slot {
		c.held = append(c.held, heldRange{})
	}
	c.held[slot] = heldRange{off: off, data: data}
	return nil
}

// fetch reads dst from off in parts of fetchPart, several at a time.
func fetch(r io.ReaderAt, dst []byte, off int64) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, fetchers)
	for lo := 0; lo < len(dst); lo += fetchPart {
		hi := min(lo+fetchPart, len(dst))
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := r.ReadAt(dst[lo:hi], off+int64(lo)); err != nil && err != io.EOF {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	return first
}

// footerWindow is how much of an object's end is fetched to read its
// footer: most footers fit, a longer one is fetched whole after.
const footerWindow = 256 << 10

// holdFooter fetches the object's footer, or takes it from footers when
// this version of the object was opened before.
func (c *objectCache) holdFooter() error {
	o := c.r.Object()
	if h, ok := footers.get(o); ok {
		c.held = []heldRange{h}
		return nil
	}
	if err := c.fetchFooter(); err != nil {
		return err
	}
	footers.put(o, c.footer())
	return nil
}

// footer is a copy of the footer's own bytes (its length and magic
// last), which the held window ends with; nothing when there is no window
// (an object too short for parquet) or it does not hold the footer whole.
func (c *objectCache) footer() heldRange {
	if len(c.held) == 0 || len(c.held[0].data) < minParquetSize {
		return heldRange{}
	}
	w := c.held[0].data
	n := footerLength(w) + 8
	if n > int64(len(w)) {
		return heldRange{}
	}
	return heldRange{off: c.size - n, data: bytes.Clone(w[int64(len(w))-n:])}
}

// fetchFooter fetches the footer window of the object's end, and the
// whole footer when it is longer.
func (c *objectCache) fetchFooter() error {
	if c.size < minParquetSize {
		return nil // too short to hold one: openChecked says so
	}
	w := min(c.size, footerWindow)
	if err := c.hold(0, c.size-w, w); err != nil {
		return err
	}
	var tail [8]byte
	if _, err := c.ReadAt(tail[:], c.size-8); err != nil {
		return err
	}
	if n := footerLength(tail[:]); n+8 > w && n+8 <= c.size {
		return c.hold(0, c.size-n-8, n+8)
	}
	return nil
}

// holdChunk fetches a column chunk's bytes and checks its pages (a local
// file's are checked all at once when it is opened).
func (f *file) holdChunk(path string, rg, leaf int) error {
	if f.obj == nil {
		return nil
	}
	md := &f.pf.Metadata().RowGroups[rg].Columns[leaf].MetaData
	start, end, err := chunkRange(md, f.obj.size)
	if err != nil || end == start {
		return chunkError(path, md, rg, err)
	}
	if err := f.obj.hold(1, start, end-start); err != nil {
		return err
	}
	return chunkError(path, md, rg, checkChunkPages(f.obj, f.obj.size, md))
}

// chunkError names the file, column and row group of a damaged chunk.
func chunkError(path string, md *format.ColumnMetaData, rg int, err error) error {
	if err == nil {
		return nil
	}
	return damagedColumn(path, strings.Join(md.PathInSchema, "."), rg, err.Error())
}

// footers holds the footers of the object versions this process opened:
// a job opens each object in every pass and worker, and a footer is the
// same bytes while the store says the same size, ETag and version.
var footers = footerCache{limit: maxFooterBytes}

// maxFooterBytes bounds footers: a footer is a few KiB for each column
// and row group.
const maxFooterBytes = 32 << 20

type footerCache struct {
	mu    sync.Mutex
	limit int
	bytes int
	held  map[blob.Object]heldRange
}

// get returns the footer of o (held only for an object version that
// blob.Object.Named).
func (f *footerCache) get(o blob.Object) (heldRange, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.held[o]
	return h, ok
}

// put keeps o's footer, forgetting every other when they grow past the
// limit.
func (f *footerCache) put(o blob.Object, h heldRange) {
	if !o.Named() || len(h.data) == 0 || len(h.data) > f.limit {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.held[o]; ok {
		return
	}
	if f.held == nil || f.bytes+len(h.data) > f.limit {
		f.held, f.bytes = map[blob.Object]heldRange{}, 0
	}
	f.held[o] = h
	f.bytes += len(h.data)
}
