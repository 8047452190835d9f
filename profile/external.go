package profile

import (
	"bufio"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/numeric"
	"github.com/fs-dev/fs/transforms"
)

// This file computes a column's statistics without holding the column:
// the values go, in their order, to a file (for the mean, the standard
// deviation, the outliers and the histogram, which read them in order),
// and, in sorted runs of at most chunk values, to an external sort whose
// merge gives the distinct count, the extremes and the exact quantiles.
// Every figure is computed as columnStats computes it, in the same order,
// so the report is the same whether or not the column fit in memory.

// extSort sorts values too many for memory: sorted runs on disk, merged.
type extSort[T cmp.Ordered] struct {
	dir   string
	chunk int
	buf   []T
	runs  []string
	codec codec[T]
}

// codec writes and reads one value.
type codec[T any] struct {
	put func(w *bufio.Writer, v T)
	get func(r *bufio.Reader) (T, error)
}

var floatCodec = codec[float64]{
	put: func(w *bufio.Writer, v float64) { putUint64(w, math.Float64bits(v)) },
	get: func(r *bufio.Reader) (float64, error) {
		b, err := next(r, 8)
		if err != nil {
			return 0, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	},
}

var intCodec = codec[int64]{
	put: func(w *bufio.Writer, v int64) { putUint64(w, uint64(v)) },
	get: func(r *bufio.Reader) (int64, error) {
		b, err := next(r, 8)
		if err != nil {
			return 0, err
		}
		return int64(binary.LittleEndian.Uint64(b)), nil
	},
}

var stringCodec = codec[string]{
	put: func(w *bufio.Writer, v string) {
		w.Write(binary.LittleEndian.AppendUint32(w.AvailableBuffer(), uint32(len(v))))
		w.WriteString(v)
	},
	get: func(r *bufio.Reader) (string, error) {
		b, err := next(r, 4)
		if err != nil {
			return "", err
		}
		s := make([]byte, binary.LittleEndian.Uint32(b))
		if _, err := io.ReadFull(r, s); err != nil {
			return "", err
		}
		return string(s), nil
	},
}

// putUint64 writes v little-endian into the writer's own buffer (no
// allocation a value: the files hold millions).
func putUint64(w *bufio.Writer, v uint64) {
	w.Write(binary.LittleEndian.AppendUint64(w.AvailableBuffer(), v))
}

// next reads n bytes from the reader's buffer (valid until its next
// read): io.EOF when none are left, io.ErrUnexpectedEOF for fewer.
func next(r *bufio.Reader, n int) ([]byte, error) {
	b, err := r.Peek(n)
	if len(b) < n {
		if len(b) > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	r.Discard(n)
	return b, nil
}

func (e *extSort[T]) add(v T) error {
	e.buf = append(e.buf, v)
	if len(e.buf) < e.chunk {
		return nil
	}
	return e.spill()
}

// spill writes the buffer as a sorted run.
func (e *extSort[T]) spill() error {
	slices.Sort(e.buf)
	path := filepath.Join(e.dir, fmt.Sprintf("run-%d", len(e.runs)))
	if err := writeAll(path, func(w *bufio.Writer) {
		for _, v := range e.buf {
			e.codec.put(w, v)
		}
	}); err != nil {
		return err
	}
	e.runs = append(e.runs, path)
	e.buf = e.buf[:0]
	return nil
}

// merge calls fn with every value added, in ascending order.
func (e *extSort[T]) merge(fn func(T)) error {
	slices.Sort(e.buf)
	h := &mergeHeap[T]{}
	for _, path := range e.runs {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r := bufio.NewReaderSize(f, 64<<10)
		if v, err := e.codec.get(r); err == nil {
			h.items = append(h.items, mergeItem[T]{v: v, r: r})
		} else if err != io.EOF {
			return err
		}
	}
	heap.Init(h)
	mem := 0
	for h.Len() > 0 || mem < len(e.buf) {
		if h.Len() == 0 || (mem < len(e.buf) && e.buf[mem] < h.items[0].v) {
			fn(e.buf[mem])
			mem++
			continue
		}
		top := &h.items[0]
		fn(top.v)
		v, err := e.codec.get(top.r)
		switch {
		case err == io.EOF:
			heap.Pop(h)
		case err != nil:
			return err
		default:
			top.v = v
			heap.Fix(h, 0)
		}
	}
	return nil
}

type mergeItem[T cmp.Ordered] struct {
	v T
	r *bufio.Reader
}

type mergeHeap[T cmp.Ordered] struct{ items []mergeItem[T] }

func (h *mergeHeap[T]) Len() int           { return len(h.items) }
func (h *mergeHeap[T]) Less(i, j int) bool { return h.items[i].v < h.items[j].v }
func (h *mergeHeap[T]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap[T]) Push(x any)         { h.items = append(h.items, x.(mergeItem[T])) }
func (h *mergeHeap[T]) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}

func writeAll(path string, fill func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// externalStats is columnStats for a column read from files a row group at
// a time, holding at most chunk values, its files under dir.
func externalStats(ctx context.Context, files []string, col featurestore.Column, bins int, dir string, chunk int) (*Column, error) {
	c := &Column{Name: col.Name, Type: string(col.Type), Physical: col.Physical}
	switch col.Type {
	case transforms.String:
		e := &extSort[string]{dir: dir, chunk: chunk, codec: stringCodec}
		if err := scanColumn(ctx, files, col.Name, c, func(s *featurestore.Series, i int) error { return e.add(s.Str[i]) }); err != nil {
			return nil, err
		}
		return c, extremes(e, c, func(v string) string { return v })
	case transforms.Timestamp:
		e := &extSort[int64]{dir: dir, chunk: chunk, codec: intCodec}
		if err := scanColumn(ctx, files, col.Name, c, func(s *featurestore.Series, i int) error { return e.add(s.I64[i]) }); err != nil {
			return nil, err
		}
		return c, extremes(e, c, fmtTime)
	}
	return numericStats(ctx, files, col, c, bins, dir, chunk)
}

// scanColumn reads the column in order, counting its nulls into c and
// calling add with each other row.
func scanColumn(ctx context.Context, files []string, name string, c *Column, add func(*featurestore.Series, int) error) error {
	total := 0
	_, err := parquet.ScanRowGroups(ctx, files, []string{name}, func(t *featurestore.Table) error {
		s := t.Series[0]
		total += t.Rows
		for i := 0; i < t.Rows; i++ {
			if s.Null(i) || (s.Type == transforms.Float64 && math.IsNaN(s.F64[i])) {
				c.Nulls++ // pandas counts NaN as missing
				continue
			}
			if err := add(s, i); err != nil {
				return err
			}
		}
		return nil
	})
	c.Count = total - c.Nulls
	if total > 0 {
		c.NullShare = float64(c.Nulls) / float64(total)
	}
	return err
}

// extremes sets the distinct count and the first and last values as text.
func extremes[T cmp.Ordered](e *extSort[T], c *Column, text func(T) string) error {
	var prev T
	n := 0
	err := e.merge(func(v T) {
		if n == 0 || v != prev {
			c.Distinct++
		}
		if n == 0 {
			c.MinText = text(v)
		}
		prev = v
		n++
	})
	if n > 0 {
		c.MaxText = text(prev)
	}
	return err
}

// numericStats is columnStats' numeric part: the values in order go to a
// file, read again for the mean (numpy's pairwise sum, the same bits), the
// squares, zeros, outliers and histogram; the sorted merge gives the
// distinct count, the extremes and the quantiles.
func numericStats(ctx context.Context, files []string, col featurestore.Column, c *Column, bins int, dir string, chunk int) (*Column, error) {
	e := &extSort[float64]{dir: dir, chunk: chunk, codec: floatCodec}
	order := filepath.Join(dir, "order")
	f, err := os.Create(order)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	err = scanColumn(ctx, files, col.Name, c, func(s *featurestore.Series, i int) error {
		v, _ := num(s, i) // nulls and NaN are counted and skipped before
		floatCodec.put(w, v)
		return e.add(v)
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	f.Close()
	if err != nil || c.Count == 0 {
		return c, err
	}
	n := c.Count
	var sum float64
	if err := readOrder(order, func(next func() float64) { sum = numeric.PairwiseSumOf(n, next) }); err != nil {
		return nil, err
	}
	mean := sum / float64(n)
	c.Mean = ptr(mean)
	pos := quantilePositions(n)
	at := map[int]float64{}
	k := 0
	var prev float64
	if err := e.merge(func(v float64) {
		if k == 0 || v != prev {
			c.Distinct++
		}
		if k == 0 {
			c.Min = ptr(v)
		}
		if pos[k] {
			at[k] = v
		}
		prev = v
		k++
	}); err != nil {
		return nil, err
	}
	c.Max = ptr(prev)
	for _, q := range quantiles {
		c.Quantiles = append(c.Quantiles, Quantile{Q: q, Value: quantileAt(at, n, q)})
	}
	return c, spread(order, c, mean, n, bins, at)
}

// spread reads the values in order again: the squared deviations (summed
// in order, as columnStats), zeros, outliers and the histogram.
func spread(order string, c *Column, mean float64, n, bins int, at map[int]float64) error {
	q1, q3 := quantileAt(at, n, 0.25), quantileAt(at, n, 0.75)
	lo, hi := q1-1.5*(q3-q1), q3+1.5*(q3-q1)
	h := newHistogram(*c.Min, *c.Max, bins, n)
	var ss float64
	err := readOrder(order, func(next func() float64) {
		for k := 0; k < n; k++ {
			v := next()
			ss += (v - mean) * (v - mean)
			if v == 0 {
				c.Zeros++
			}
			if outlier(c, v, lo, hi) {
				c.Outliers++
			}
			h.add(v)
		}
	})
	if n > 1 {
		c.Std = ptr(math.Sqrt(ss / float64(n-1)))
	}
	c.Histogram = h.Histogram
	return err
}

// readOrder gives fn the values of the order file one by one.
func readOrder(path string, fn func(next func() float64)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	var readErr error
	fn(func() float64 {
		v, err := floatCodec.get(r)
		if err != nil && readErr == nil {
			readErr = err
		}
		return v
	})
	return readErr
}

// quantilePositions marks the sorted positions quantile reads.
func quantilePositions(n int) map[int]bool {
	pos := map[int]bool{}
	for _, q := range quantiles {
		quantileOf(n, func(i int) float64 { pos[i] = true; return 0 }, q)
	}
	return pos
}

// quantileAt is quantile on the values at the positions it reads.
func quantileAt(at map[int]float64, n int, q float64) float64 {
	return quantileOf(n, func(i int) float64 { return at[i] }, q)
}
