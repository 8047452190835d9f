package parquet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// fs's own page reader, for the column chunks it reads most: flat numeric
// columns (a key, a timestamp, a float) of a local file, in PLAIN or
// dictionary-encoded data pages, v1 or v2, with any codec parquet-go
// knows. Its pages are found by their headers first, so that workers
// decode them apart: one row group is not one worker. A chunk it does not
// handle, or in which it meets anything unexpected, is read by parquet-go
// (readColumn), which also gives the error.

// pageLoc is a page of a chunk: its header, where its body starts, and,
// for a data page, its first row in the chunk.
type pageLoc struct {
	h   format.PageHeader
	off int64
	row int
	n   int // a data page's rows (values, nulls included)
}

// chunkPlan is a chunk's pages, found by their headers.
type chunkPlan struct {
	f        *os.File
	codec    compress.Codec // nil: uncompressed
	phys     format.Type
	unsigned bool // INT32 holding unsigned values
	maxDef   byte
	dict     *pageLoc
	pages    []pageLoc
	rows     int
}

// planChunk walks the headers of a chunk's pages; ok is false for a chunk
// this reader does not handle.
func planChunk(f *os.File, size int64, md *format.ColumnMetaData, maxDef, maxRep byte, c featurestore.Column) (*chunkPlan, bool) {
	switch md.Type {
	case format.Int32, format.Int64, format.Float, format.Double:
	default:
		return nil, false
	}
	p := &chunkPlan{f: f, phys: md.Type, maxDef: maxDef, unsigned: unsigned32(c)}
	if maxRep != 0 || maxDef > 1 || !p.setCodec(md.Codec) {
		return nil, false
	}
	start, end, err := chunkRange(md, size)
	if err != nil || start == end {
		return nil, false
	}
	buf := make([]byte, 1<<10)
	rows := 0
	for off := start; off < end && int64(rows) < md.NumValues; {
		h, n, err := readPageHeader(f, off, end-off, buf)
		if err != nil || h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > end-off-n ||
			h.UncompressedPageSize < 0 || h.UncompressedPageSize > MaxPageSize {
			return nil, false
		}
		values, ok := p.supported(h)
		loc := pageLoc{h: h, off: off + n, row: rows, n: values}
		off += n + int64(h.CompressedPageSize)
		switch {
		case !ok:
			return nil, false
		case h.Type == format.DictionaryPage && p.dict == nil && len(p.pages) == 0:
			p.dict = &loc
		case h.Type == format.DictionaryPage:
			return nil, false
		default:
			p.pages = append(p.pages, loc)
			rows += values
		}
	}
	p.rows = rows
	return p, int64(rows) == md.NumValues
}

func (p *chunkPlan) setCodec(c format.CompressionCodec) bool {
	if c == format.Uncompressed {
		return true
	}
	p.codec = pq.LookupCompressionCodec(c)
	return p.codec != nil && p.codec.CompressionCodec() == c
}

// supported reports whether this reader decodes the page, and its values
// (nulls included) when it is a data page.
func (p *chunkPlan) supported(h format.PageHeader) (int, bool) {
	dictOrPlain := func(e format.Encoding) bool {
		return e == format.Plain || e == format.PlainDictionary || e == format.RLEDictionary
	}
	if d, ok := h.DictionaryPageHeader.Get(); ok && h.Type == format.DictionaryPage {
		return 0, (d.Encoding == format.Plain || d.Encoding == format.PlainDictionary) && d.NumValues >= 0
	}
	if d, ok := h.DataPageHeader.Get(); ok && h.Type == format.DataPage {
		return int(d.NumValues), dictOrPlain(d.Encoding) && d.NumValues >= 0 &&
			(p.maxDef == 0 || d.DefinitionLevelEncoding == format.RLE)
	}
	if d, ok := h.DataPageHeaderV2.Get(); ok && h.Type == format.DataPageV2 {
		return int(d.NumValues), dictOrPlain(d.Encoding) && d.NumValues >= 0 && d.NumRows == d.NumValues && d.NumNulls >= 0 &&
			d.RepetitionLevelsByteLength == 0 && d.DefinitionLevelsByteLength >= 0
	}
	return 0, false
}

// scratches keeps pageScratch buffers between chunks: a file of many row
// groups has many small chunks, and allocating (and zeroing) a page's
// buffers for each would cost more than decoding it.
var scratches = sync.Pool{New: func() any { return new(pageScratch) }}

// pageScratch is one worker's buffers, reused from page to page.
type pageScratch struct {
	body, data []byte
	defs       []byte
	idx        []int32
	f64        []float64
	f32        []float32
	i64        []int64
	i32        []int32
	u32        []uint32
	rowsAt     []int
}

// body reads a page's bytes and decompresses what is compressed: levels
// are the v2 levels (never compressed), data the rest.
func (p *chunkPlan) body(loc pageLoc, sc *pageScratch) (levels, data []byte, err error) {
	sc.body = grow(sc.body, int(loc.h.CompressedPageSize))
	if _, err := p.f.ReadAt(sc.body, loc.off); err != nil {
		return nil, nil, err
	}
	if loc.h.CRC != 0 && int32(crc32.ChecksumIEEE(sc.body)) != loc.h.CRC { // as parquet-go checks it
		return nil, nil, fmt.Errorf("crc32 checksum mismatch")
	}
	raw, compressed := sc.body, p.codec != nil
	if v2, ok := loc.h.DataPageHeaderV2.Get(); ok && loc.h.Type == format.DataPageV2 {
		n := int(v2.DefinitionLevelsByteLength)
		if n > len(raw) {
			return nil, nil, fmt.Errorf("levels past the page")
		}
		levels, raw = raw[:n], raw[n:]
		compressed = compressed && (!v2.IsCompressed.Valid || v2.IsCompressed.V)
	}
	if !compressed {
		return levels, raw, nil
	}
	sc.data, err = p.codec.Decode(sc.data[:0], raw)
	return levels, sc.data, err
}

// definitions decodes a data page's definition levels (nil when the
// column is required), n of them, and leaves data at its values.
func (p *chunkPlan) definitions(loc pageLoc, levels, data []byte, n int, sc *pageScratch) ([]byte, []byte, error) {
	if p.maxDef == 0 {
		return nil, data, nil
	}
	if loc.h.Type == format.DataPage { // v1: a 4-byte length, then the levels
		if len(data) < 4 {
			return nil, nil, fmt.Errorf("no definition levels")
		}
		k := binary.LittleEndian.Uint32(data)
		if uint64(k) > uint64(len(data)-4) {
			return nil, nil, fmt.Errorf("definition levels past the page")
		}
		levels, data = data[4:4+k], data[4+k:]
	}
	var err error
	enc := rle.Encoding{BitWidth: 1}
	if sc.defs, err = enc.DecodeLevels(sc.defs[:0], levels); err != nil {
		return nil, nil, err
	}
	if len(sc.defs) < n {
		return nil, nil, fmt.Errorf("%d definition levels for %d values", len(sc.defs), n)
	}
	defs := sc.defs[:n]
	if v2, ok := loc.h.DataPageHeaderV2.Get(); ok && loc.h.Type == format.DataPageV2 && int(v2.NumNulls) != bytes.Count(defs, []byte{0}) {
		return nil, nil, fmt.Errorf("%d nulls, %d counted", v2.NumNulls, bytes.Count(defs, []byte{0}))
	}
	return defs, data, nil
}

// dictionary is a chunk's dictionary page: its PLAIN bytes, decoded to
// values only when a page needs them all (a chunk read whole); rows
// picked from it are read from the bytes.
type dictionary struct {
	p    *chunkPlan
	raw  []byte
	n    int
	sc   *pageScratch
	once sync.Once
	vals any
	err  error
}

// newDictionary reads the chunk's dictionary page into sc, or gives nil
// without one.
func (p *chunkPlan) newDictionary(sc *pageScratch) (*dictionary, error) {
	if p.dict == nil {
		return nil, nil
	}
	_, data, err := p.body(*p.dict, sc)
	if err != nil {
		return nil, err
	}
	h, _ := p.dict.h.DictionaryPageHeader.Get()
	width := 4
	if p.phys == format.Int64 || p.phys == format.Double {
		width = 8
	}
	if n := int(h.NumValues); n < 0 || len(data)/width < n {
		return nil, fmt.Errorf("%d bytes for %d dictionary values", len(data), n)
	}
	return &dictionary{p: p, raw: data, n: int(h.NumValues), sc: sc}, nil
}

// values is the dictionary decoded, once.
func (d *dictionary) values() (any, error) {
	d.once.Do(func() { d.vals, d.err = d.sc.plainValues(d.p.phys, d.p.unsigned, d.raw, d.n) })
	return d.vals, d.err
}

// plainValues decodes n PLAIN values of a physical type into sc's buffer
// of that type (an INT32 column of unsigned values as uint32).
func (sc *pageScratch) plainValues(phys format.Type, unsigned bool, data []byte, n int) (any, error) {
	width := 4
	if phys == format.Int64 || phys == format.Double {
		width = 8
	}
	if n < 0 || len(data)/width < n {
		return nil, fmt.Errorf("%d bytes for %d values", len(data), n)
	}
	le := binary.LittleEndian
	switch {
	case phys == format.Int32 && unsigned:
		sc.u32 = grow(sc.u32, n)
		for i := range sc.u32 {
			sc.u32[i] = le.Uint32(data[4*i:])
		}
		return sc.u32, nil
	case phys == format.Int32:
		sc.i32 = grow(sc.i32, n)
		for i := range sc.i32 {
			sc.i32[i] = int32(le.Uint32(data[4*i:]))
		}
		return sc.i32, nil
	case phys == format.Int64:
		sc.i64 = grow(sc.i64, n)
		for i := range sc.i64 {
			sc.i64[i] = int64(le.Uint64(data[8*i:]))
		}
		return sc.i64, nil
	case phys == format.Float:
		sc.f32 = grow(sc.f32, n)
		for i := range sc.f32 {
			sc.f32[i] = math.Float32frombits(le.Uint32(data[4*i:]))
		}
		return sc.f32, nil
	}
	sc.f64 = grow(sc.f64, n)
	for i := range sc.f64 {
		sc.f64[i] = math.Float64frombits(le.Uint64(data[8*i:]))
	}
	return sc.f64, nil
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// read reads a chunk into s at [off, off+rows) with the plan; false
// when it did not (the caller then reads it with parquet-go, after
// clearing those rows).
func (p *chunkPlan) read(s *featurestore.Series, off, rows int, c featurestore.Column) bool {
	if len(p.pages) == 0 || p.rows != rows {
		return false
	}
	all := make([]int, len(p.pages))
	for i := range all {
		all[i] = i
	}
	return p.eachPage(all, rows >= 1<<18, func(i int, dict *dictionary, sc *pageScratch) bool {
		return p.decodePage(p.pages[i], dict, s, off, rows, c, sc)
	})
}

// eachPage runs fn on the data pages listed, on every processor when
// parallel (and there are 4 pages at least), each worker with buffers of
// its own; false when fn failed or panicked on a damaged page (parquet-go
// then says what is wrong).
func (p *chunkPlan) eachPage(list []int, parallel bool, fn func(i int, dict *dictionary, sc *pageScratch) bool) bool {
	dsc := scratches.Get().(*pageScratch)
	defer scratches.Put(dsc)
	dict, err := p.newDictionary(dsc)
	if err != nil {
		return false
	}
	workers := 1
	if parallel && len(list) >= 4 {
		workers = min(runtime.GOMAXPROCS(0), len(list))
	}
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if recover() != nil {
					failed.Store(true)
				}
			}()
			sc := scratches.Get().(*pageScratch)
			defer scratches.Put(sc)
			for k := int(next.Add(1)) - 1; k < len(list) && !failed.Load(); k = int(next.Add(1)) - 1 {
				if !fn(list[k], dict, sc) {
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return !failed.Load()
}

// open reads a data page of n rows: its definition levels (nil for a
// required column), its values' bytes, and how many values there are.
func (p *chunkPlan) open(loc pageLoc, n int, sc *pageScratch) (defs, data []byte, nonNull int, ok bool) {
	levels, data, err := p.body(loc, sc)
	if err != nil {
		return nil, nil, 0, false
	}
	if defs, data, err = p.definitions(loc, levels, data, n, sc); err != nil {
		return nil, nil, 0, false
	}
	nonNull = n
	if defs != nil {
		nonNull = bytes.Count(defs, []byte{1})
	}
	return defs, data, nonNull, true
}

// decodePage decodes one data page into s; false on anything unexpected,
// a value out of range included.
func (p *chunkPlan) decodePage(loc pageLoc, dict *dictionary, s *featurestore.Series, off, rows int, c featurestore.Column, sc *pageScratch) bool {
	n := loc.n
	if loc.row+n > rows {
		return false
	}
	defs, data, nonNull, ok := p.open(loc, n, sc)
	if !ok {
		return false
	}
	plain := dataEncoding(loc.h) == format.Plain
	if plain && nonNull == n && len(data)/8 >= n {
		if done, ok := plainInPlace(s, off+loc.row, data[:8*n], c, p.phys); done {
			return ok
		}
	}
	if p.phys == format.Double || p.phys == format.Int64 { // from the bytes, not a copy of them
		rowsAt := everyRow(defs, n, sc)
		if plain {
			if done, ok := gatherPlain(s, off+loc.row, rowsAt, data, nonNull, nil, c, p.phys); done {
				return ok
			}
		} else if idx, ok := dict.indices(data, nonNull, sc); !ok {
			return false
		} else if nonNull == n {
			if done, ok := dictInPlace(s, off+loc.row, dict.raw, dict.n, idx[:n], c, p.phys); done {
				return ok
			}
		} else if done, ok := gatherPlain(s, off+loc.row, rowsAt, dict.raw, dict.n, idx, c, p.phys); done {
			return ok
		}
	}
	vals, idx, ok := p.values(loc, dict, data, nonNull, sc)
	if !ok {
		return false
	}
	return scatterPage(s, off+loc.row, n, defs, p.maxDef, vals, idx, c) < 0
}

// everyRow is, for each of a page's n rows, its place among the page's
// values, or -1 for a null.
func everyRow(defs []byte, n int, sc *pageScratch) []int {
	sc.rowsAt = grow(sc.rowsAt, n)
	j := 0
	for r := range sc.rowsAt {
		if defs != nil && defs[r] == 0 {
			sc.rowsAt[r] = -1
			continue
		}
		sc.rowsAt[r] = j
		j++
	}
	return sc.rowsAt
}

// values decodes a data page's nonNull values: PLAIN ones, or indices
// into the chunk's dictionary dict.
func (p *chunkPlan) values(loc pageLoc, dict *dictionary, data []byte, nonNull int, sc *pageScratch) (vals any, idx []int32, ok bool) {
	if dataEncoding(loc.h) == format.Plain {
		vals, err := sc.plainValues(p.phys, p.unsigned, data, nonNull)
		return vals, nil, err == nil
	}
	if idx, ok = dict.indices(data, nonNull, sc); !ok {
		return nil, nil, false
	}
	vals, err := dict.values()
	return vals, idx, err == nil
}

// indices decodes a dictionary-encoded page's nonNull indices into sc.
func (d *dictionary) indices(data []byte, nonNull int, sc *pageScratch) ([]int32, bool) {
	if d == nil {
		return nil, false
	}
	var dec rle.DictionaryEncoding
	var err error
	if sc.idx, err = dec.DecodeInt32(sc.idx[:0], data); err != nil || len(sc.idx) < nonNull {
		return nil, false
	}
	return sc.idx[:nonNull], true
}

func dataEncoding(h format.PageHeader) format.Encoding {
	if d, ok := h.DataPageHeader.Get(); ok {
		return d.Encoding
	}
	d, _ := h.DataPageHeaderV2.Get()
	return d.Encoding
}

// scatterPage is decodeFast's scatter for a page's decoded values: it
// returns the first row out of range, or -1 (and 0 for a type it does not
// take, which the caller treats as a failure).
func scatterPage(s *featurestore.Series, start, n int, defs []byte, maxDef byte, vals any, idx []int32, c featurestore.Column) int {
	mult := columnUnit(c)
	ints := c.Type == transforms.Int64 || c.Type == transforms.Timestamp
	switch v := vals.(type) {
	case []float64:
		if c.Type == transforms.Float64 {
			return scatter(s.F64, s.Valid, start, n, defs, maxDef, v, idx, 1)
		}
	case []float32:
		if c.Type == transforms.Float64 {
			return scatter(s.F64, s.Valid, start, n, defs, maxDef, v, idx, 1)
		}
	case []int64:
		if ints {
			return scatter(s.I64, s.Valid, start, n, defs, maxDef, v, idx, mult)
		}
	case []uint32:
		if ints {
			return scatter(s.I64, s.Valid, start, n, defs, maxDef, v, idx, 1)
		}
	case []int32:
		if ints {
			return scatter(s.I64, s.Valid, start, n, defs, maxDef, v, idx, mult)
		}
	}
	return 0
}

// ownPlan is fs's own page reader's plan for column c of a task's row
// group, when it handles the chunk (a local file's flat numeric column).
func ownPlan(f *file, t readTask, c featurestore.Column) (*chunkPlan, bool) {
	if f.local == nil {
		return nil, false
	}
	leaf, ok := f.pf.Schema().Lookup(c.Name)
	if !ok {
		return nil, false
	}
	md := &f.pf.Metadata().RowGroups[t.rg].Columns[leaf.ColumnIndex].MetaData
	return planChunk(f.local, f.pf.Size(), md, byte(leaf.MaxDefinitionLevel), byte(leaf.MaxRepetitionLevel), c)
}

// readRowsOwn copies the rows wanted (table rows, ascending) of column c
// of a task's row group to s from row at on with fs's own page reader;
// false when it did not, the rows left as they were.
func readRowsOwn(f *file, t readTask, c featurestore.Column, want []int64, at int, s *featurestore.Series) bool {
	plan, ok := ownPlan(f, t, c)
	if !ok {
		return false
	}
	rel := make([]int64, len(want))
	for k, w := range want {
		rel[k] = w - int64(t.off)
	}
	if plan.readRows(s, rel, at, t.rows, c) {
		return true
	}
	clearRows(s, at, at+len(want))
	return false
}

func clearRows(s *featurestore.Series, lo, hi int) {
	clear(s.Valid[lo:hi])
	switch {
	case s.F64 != nil:
		clear(s.F64[lo:hi])
	case s.I64 != nil:
		clear(s.I64[lo:hi])
	}
}

// readOwn reads column c of a task's row group into s with fs's own page
// reader when it handles the chunk (a local file's flat numeric column);
// false when it did not, the rows left as they were.
func readOwn(f *file, t readTask, c featurestore.Column, s *featurestore.Series) bool {
	plan, ok := ownPlan(f, t, c)
	if !ok {
		return false
	}
	if plan.read(s, t.off, t.rows, c) {
		return true
	}
	clearRows(s, t.off, t.off+t.rows) // partly read: back to nothing
	return false
}

// plainInPlace decodes a PLAIN page without nulls of DOUBLE or INT64
// straight into s from row start, scaling timestamps; done is false for
// the other kinds, ok false for a timestamp out of range.
func plainInPlace(s *featurestore.Series, start int, data []byte, c featurestore.Column, phys format.Type) (done, ok bool) {
	n := len(data) / 8
	le := binary.LittleEndian
	switch {
	case phys == format.Double && c.Type == transforms.Float64:
		dst := s.F64[start : start+n]
		for k := range dst {
			dst[k] = math.Float64frombits(le.Uint64(data[8*k:]))
		}
	case phys == format.Int64 && (c.Type == transforms.Int64 || c.Type == transforms.Timestamp):
		mult := columnUnit(c)
		lo, hi := scaleBounds(mult)
		dst := s.I64[start : start+n]
		for k := range dst {
			v := int64(le.Uint64(data[8*k:]))
			if v < lo || v > hi {
				return true, false
			}
			dst[k] = v * mult
		}
	default:
		return false, false
	}
	valid := s.Valid[start : start+n]
	for k := range valid {
		valid[k] = true
	}
	return true, true
}

// dictInPlace is plainInPlace for a page of dictionary indices idx, one
// per row, into the PLAIN DOUBLE or INT64 dictionary raw of n values: no
// row is null, so value k is row k's. An index past the dictionary panics,
// which the reader turns into an error.
func dictInPlace(s *featurestore.Series, start int, raw []byte, n int, idx []int32, c featurestore.Column, phys format.Type) (done, ok bool) {
	le := binary.LittleEndian
	if len(raw)/8 < n {
		return true, false
	}
	raw = raw[:8*n]
	switch {
	case phys == format.Double && c.Type == transforms.Float64:
		dst := s.F64[start : start+len(idx)]
		for k, j := range idx {
			dst[k] = math.Float64frombits(le.Uint64(raw[8*int(uint32(j)):]))
		}
	case phys == format.Int64 && (c.Type == transforms.Int64 || c.Type == transforms.Timestamp):
		mult := columnUnit(c)
		lo, hi := scaleBounds(mult)
		dst := s.I64[start : start+len(idx)]
		for k, j := range idx {
			v := int64(le.Uint64(raw[8*int(uint32(j)):]))
			if v < lo || v > hi {
				return true, false
			}
			dst[k] = v * mult
		}
	default:
		return false, false
	}
	valid := s.Valid[start : start+len(idx)]
	for k := range valid {
		valid[k] = true
	}
	return true, true
}

// readRows copies the rows wanted (chunk rows, ascending) of a chunk of
// rows rows to s from row at on, decoding only the pages that hold one;
// false when it did not (the caller then reads them with parquet-go).
func (p *chunkPlan) readRows(s *featurestore.Series, want []int64, at, rows int, c featurestore.Column) bool {
	if len(p.pages) == 0 || p.rows != rows {
		return false
	}
	from := make([]int, len(p.pages)+1) // page i holds want[from[i]:from[i+1]]
	var list []int
	for i, loc := range p.pages {
		from[i] = sort.Search(len(want), func(k int) bool { return want[k] >= int64(loc.row) })
		if i > 0 && from[i] > from[i-1] {
			list = append(list, i-1)
		}
	}
	from[len(p.pages)] = len(want)
	if from[len(p.pages)] > from[len(p.pages)-1] {
		list = append(list, len(p.pages)-1)
	}
	return p.eachPage(list, len(want) >= 1<<16, func(i int, dict *dictionary, sc *pageScratch) bool {
		return p.pageRows(p.pages[i], dict, s, want[from[i]:from[i+1]], at+from[i], c, sc)
	})
}

// pageRows copies the rows wanted of one data page to s from row at on.
func (p *chunkPlan) pageRows(loc pageLoc, dict *dictionary, s *featurestore.Series, want []int64, at int, c featurestore.Column, sc *pageScratch) bool {
	n := loc.n
	defs, data, nonNull, ok := p.open(loc, n, sc)
	if !ok {
		return false
	}
	// The value of page row r is the number of non-null rows before it.
	sc.rowsAt = grow(sc.rowsAt, len(want))
	rowsAt := sc.rowsAt
	j, r := 0, 0
	for k, w := range want {
		row := int(w) - loc.row
		if row < 0 || row >= n {
			return false
		}
		if nonNull == n {
			rowsAt[k] = row
			continue
		}
		for ; r < row; r++ {
			j += int(defs[r])
		}
		rowsAt[k] = j
		if defs[row] == 0 {
			rowsAt[k] = -1
		}
	}
	if dataEncoding(loc.h) == format.Plain {
		if done, ok := gatherPlain(s, at, rowsAt, data, nonNull, nil, c, p.phys); done {
			return ok
		}
	} else if dict != nil {
		idx, ok := dict.indices(data, nonNull, sc)
		if !ok {
			return false
		}
		if done, ok := gatherPlain(s, at, rowsAt, dict.raw, dict.n, idx, c, p.phys); done {
			return ok
		}
	}
	vals, idx, ok := p.values(loc, dict, data, nonNull, sc)
	if !ok {
		return false
	}
	return gatherPage(s, at, rowsAt, vals, idx, c)
}

// gatherPage sets s's rows at, at+1, ... to a page's values: rowsAt[k]
// is the value of the k-th row (its place among the page's values, or -1
// for a null, left null), through idx when set (a dictionary). Timestamps
// are scaled; false for one out of range or a type it does not take.
func gatherPage(s *featurestore.Series, at int, rowsAt []int, vals any, idx []int32, c featurestore.Column) bool {
	mult := columnUnit(c)
	ints := c.Type == transforms.Int64 || c.Type == transforms.Timestamp
	switch v := vals.(type) {
	case []float64:
		return c.Type == transforms.Float64 && gatherVals(s.F64, s.Valid, at, rowsAt, v, idx, 1)
	case []float32:
		return c.Type == transforms.Float64 && gatherVals(s.F64, s.Valid, at, rowsAt, v, idx, 1)
	case []int64:
		return ints && gatherVals(s.I64, s.Valid, at, rowsAt, v, idx, mult)
	case []uint32:
		return ints && gatherVals(s.I64, s.Valid, at, rowsAt, v, idx, 1)
	case []int32:
		return ints && gatherVals(s.I64, s.Valid, at, rowsAt, v, idx, mult)
	}
	return false
}

// gatherVals is gatherPage for one type; mult scales (an int64 result).
func gatherVals[T, U number](dst []U, valid []bool, at int, rowsAt []int, vals []T, idx []int32, mult int64) bool {
	lo, hi := scaleBounds(mult)
	for k, j := range rowsAt {
		if j < 0 {
			continue
		}
		if idx != nil {
			j = int(idx[j])
		}
		v := U(vals[j])
		if mult != 1 {
			if int64(v) < lo || int64(v) > hi {
				return false
			}
			v *= U(mult)
		}
		dst[at+k], valid[at+k] = v, true
	}
	return true
}

// gatherPlain is gatherPage for a PLAIN page of DOUBLE or INT64, read
// straight from its bytes; done is false for the other kinds.
func gatherPlain(s *featurestore.Series, at int, rowsAt []int, data []byte, nonNull int, idx []int32, c featurestore.Column, phys format.Type) (done, ok bool) {
	le := binary.LittleEndian
	at8 := func(j int) int { // the offset of value j (of the dictionary's when idx is set)
		if idx != nil {
			j = int(uint32(idx[j]))
		}
		return 8 * j
	}
	switch {
	case phys != format.Double && phys != format.Int64:
		return false, false
	case len(data)/8 < nonNull:
		return true, false
	}
	data = data[:8*nonNull] // an index past the values is a damaged page (a panic, recovered)
	switch {
	case phys == format.Double && c.Type == transforms.Float64:
		for k, j := range rowsAt {
			if j >= 0 {
				s.F64[at+k], s.Valid[at+k] = math.Float64frombits(le.Uint64(data[at8(j):])), true
			}
		}
	case phys == format.Int64 && (c.Type == transforms.Int64 || c.Type == transforms.Timestamp):
		mult := columnUnit(c)
		lo, hi := scaleBounds(mult)
		for k, j := range rowsAt {
			if j < 0 {
				continue
			}
			v := int64(le.Uint64(data[at8(j):]))
			if v < lo || v > hi {
				return true, false
			}
			s.I64[at+k], s.Valid[at+k] = v*mult, true
		}
	default:
		return false, false
	}
	return true, true
}
