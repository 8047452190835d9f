package parquet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/fs-dev/fs/featurestore"
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

// timeUnit is the one place that decides what a stored time value
// counts: the nanoseconds in one unit of a column whose physical type and
// logical annotation are phys and logical (a DATE counts days; INT96
// nanoseconds within a Julian day, its days are counted apart). ok is
// false for a column that holds no time.
func timeUnit(phys, logical string) (nanos int64, ok bool) {
	switch {
	case phys == "INT96":
		return 1, true
	case logical == "DATE":
		return 86400e9, true
	case strings.Contains(logical, "MILLIS"):
		return 1e6, true
	case strings.Contains(logical, "MICROS"):
		return 1e3, true
	case strings.Contains(logical, "NANOS"):
		return 1, true
	}
	return 1, false
}

// timestampDecoder reads a timestamp column into nanoseconds, refusing
// values that do not fit.
func timestampDecoder(phys, logical string) decoder {
	unit, ok := timeUnit(phys, logical)
	switch {
	case !ok:
		return nil
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
	}
	get := func(v pq.Value) int64 { return v.Int64() }
	if phys == "INT32" {
		get = func(v pq.Value) int64 { return int64(v.Int32()) }
	}
	return func(s *featurestore.Series, i int, v pq.Value) bool {
		ns, ok := mulChecked(get(v), unit)
		if !ok {
			ns = get(v) // kept raw, for the message
		}
		s.I64[i] = ns
		return ok
	}
}

// mulChecked is x*m, and whether it fits in an int64.
func mulChecked(x, m int64) (int64, bool) {
	y := x * m
	return y, m == 1 || (y/m == x && !(x == -1 && y == math.MinInt64))
}

// readRowGroup decodes the schema's columns of one row group into dst at
// rows [off, off+rows); fileRow is the group's first row in its file, for
// messages.
func readRowGroup(f *file, path string, rg, off, rows, fileRow int, schema featurestore.Schema, decoders []decoder, dst *featurestore.Table) error {
	t := readTask{file: path, rg: rg, off: off, rows: rows, fileStart: off - fileRow}
	for ci, c := range schema {
		if err := readChunk(f, t, c, decoders[ci], dst.Series[ci]); err != nil {
			return err
		}
	}
	return nil
}

// chunkOf is column c's chunk in a row group, and its leaf's maximum
// definition level; an object's chunk is fetched first.
func chunkOf(f *file, t readTask, c featurestore.Column) (pq.ColumnChunk, byte, error) {
	leaf, ok := f.pf.Schema().Lookup(c.Name)
	if !ok {
		return nil, 0, fmt.Errorf("%s: column %s vanished", t.file, c.Name)
	}
	if err := f.holdChunk(t.file, t.rg, leaf.ColumnIndex); err != nil {
		return nil, 0, err
	}
	return f.pf.RowGroups()[t.rg].ColumnChunks()[leaf.ColumnIndex], byte(leaf.MaxDefinitionLevel), nil
}

// readChunk decodes column c of a task's row group into s at its rows. A
// damaged page is an error naming the file and column, never a panic.
func readChunk(f *file, t readTask, c featurestore.Column, dec decoder, s *featurestore.Series) (err error) {
	defer recoverDamaged(&err, t, c)
	if readOwn(f, t, c, s) {
		return nil
	}
	chunk, maxDef, err := chunkOf(f, t, c)
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
func readChunkRows(f *file, t readTask, c featurestore.Column, dec decoder, want []int64, at int, s *featurestore.Series) (err error) {
	defer recoverDamaged(&err, t, c)
	if readRowsOwn(f, t, c, want, at, s) {
		return nil
	}
	chunk, maxDef, err := chunkOf(f, t, c)
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
		last := k + sort.Search(len(want)-k, func(j int) bool { return want[k+j] >= start+n })
		if gatherFast(dst, at+k, want[k:last], start, page, pr.maxDef, pr.col) {
			pq.Release(page)
			k, start = last, start+n
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
		for ; k < last; k++ {
			copyValue(dst, at+k, pr.scratch, int(want[k]-start))
		}
		start += n
	}
	return -1, nil
}

// gatherFast copies the wanted rows of a page (want, ascending, the page's
// first row being start) to dst from row at on, straight from the page's
// values, when the page holds a number that needs no scaling and has no
// null; it reports false for the others, which decode whole.
func gatherFast(dst *featurestore.Series, at int, want []int64, start int64, page pq.Page, maxDef byte, c featurestore.Column) bool {
	n := int(page.NumValues())
	if defs := page.DefinitionLevels(); len(defs) != 0 && bytes.Count(defs[:n], []byte{maxDef}) != n {
		return false
	}
	phys, logical, _ := strings.Cut(c.Physical, "/")
	data := page.Data()
	var idx []int32
	if d := page.Dictionary(); d != nil {
		idx, data = data.Int32(), d.Page().Data()
	}
	switch {
	case phys == "DOUBLE" && c.Type == transforms.Float64:
		gather(dst.F64, dst.Valid, at, want, start, data.Double(), idx)
	case phys == "FLOAT" && c.Type == transforms.Float64:
		gather(dst.F64, dst.Valid, at, want, start, data.Float(), idx)
	case phys == "INT64" && c.Type == transforms.Int64 && !isTime(phys, logical):
		gather(dst.I64, dst.Valid, at, want, start, data.Int64(), idx)
	default:
		return false
	}
	return true
}

func isTime(phys, logical string) bool {
	_, ok := timeUnit(phys, logical)
	return ok
}

// columnUnit is timeUnit of a column: what its stored values are
// multiplied by (1 for a column that holds no time).
func columnUnit(c featurestore.Column) int64 {
	_, unit, _ := columnTime(c)
	return unit
}

// columnTime is a column's physical type and timeUnit; ok is false for a
// column that holds no time.
func columnTime(c featurestore.Column) (phys string, unit int64, ok bool) {
	phys, logical, _ := strings.Cut(c.Physical, "/")
	unit, ok = timeUnit(phys, logical)
	return phys, unit, ok
}

// scaleBounds is the range of values v for which v*mult fits in an int64
// (mult is positive; Go's division truncates toward zero): comparisons,
// not a division a value.
func scaleBounds(mult int64) (lo, hi int64) {
	return math.MinInt64 / mult, math.MaxInt64 / mult
}

// gather sets dst[at+k] to the page's value of row want[k] (idx, when
// set, maps a row to vals through a dictionary). A damaged page indexes
// out of range and panics, which readChunkRows turns into an error.
func gather[T, U number](dst []U, valid []bool, at int, want []int64, start int64, vals []T, idx []int32) {
	for k, r := range want {
		j := int(r - start)
		if idx != nil {
			j = int(idx[j])
		}
		dst[at+k], valid[at+k] = U(vals[j]), true
	}
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
// message about a value out of range (the series holds it unscaled there:
// an INT96's days).
func rawTime(s *featurestore.Series, i int, c featurestore.Column) time.Time {
	phys, logical, _ := strings.Cut(c.Physical, "/")
	v := s.I64[i]
	unit, _ := timeUnit(phys, logical)
	switch {
	case phys == "INT96" || unit >= 1e9:
		return time.Unix(v*86400, 0).UTC()
	case unit > 1:
		per := 1e9 / unit // units in a second
		return time.Unix(v/per, v%per*unit).UTC()
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
		mult, _ := timeUnit(phys, logical)
		bad = scatter(s.I64, s.Valid, start, n, defs, maxDef, data.Int64(), idx, mult)
	case phys == "INT32" && unsigned32(c):
		bad = scatter(s.I64, s.Valid, start, n, defs, maxDef, data.Uint32(), idx, 1)
	case phys == "INT32" && (c.Type == transforms.Int64 || c.Type == transforms.Timestamp):
		mult, _ := timeUnit(phys, logical)
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
// nanoseconds can overflow: it scatters, then scales the rows set in
// place, keeping a value that overflows unscaled.
func scatterScaled[T, U number](dst []U, valid []bool, start, n int, defs []byte, maxDef byte, vals []T, idx []int32, mult U) int {
	scatter(dst, valid, start, n, defs, maxDef, vals, idx, 1)
	lo, hi := scaleBounds(int64(mult))
	bad := -1
	for k, v := range dst[start : start+n] {
		switch {
		case !valid[start+k]:
		case int64(v) < lo || int64(v) > hi:
			if bad < 0 {
				bad = start + k
			}
		default:
			dst[start+k] = v * mult
		}
	}
	return bad
}
