package materialize

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"unsafe"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// indexBytesPerRow is what a source row takes next to its keys and
// timestamps while picking: its place in a spilled partition (9 bytes)
// and the garbage collector's slack (about as much again as the row),
// the pick itself spreading pickChunk rows at a time whatever the
// source's size. (At 16, 100M rows in 1 GiB took 9 partitions and peaked
// at 2.6 GiB; at 32, 11 and 2.1 GiB, in the same time.)
const indexBytesPerRow = 32

// maxPartitions bounds the partition files open at once.
const maxPartitions = 512

// maxPickRows is the most source rows one pick takes (it numbers them
// with int32).
const maxPickRows = math.MaxInt32

// partitionsFor is how many partitions a source of rows rows of schema
// needs so that one partition and its pick fit in budget (half of it for
// the partition), each partition of at most half maxPickRows (keys do not
// hash evenly): 1 when the whole source fits.
func partitionsFor(rows int64, schema featurestore.Schema, budget int64) int {
	parts := (rows + maxPickRows/2 - 1) / (maxPickRows / 2)
	if need := rows * (parquet.BytesPerRow(schema) + indexBytesPerRow); budget > 1 && need > budget {
		parts = max(parts, 2, (need+budget/2-1)/(budget/2))
	}
	if parts <= 1 && rows <= maxPickRows {
		return 1
	}
	return int(min(max(2, parts), maxPartitions))
}

// spillPicker picks the as-of rows of a source too large for memory: it
// splits the source's rows by join-key hash into parts partitions written
// under dir (one pass over the source, row group by row group, keeping
// only rows that can be picked: a key, a timestamp, created by the
// cutoff), then reads each partition back once and picks from it for the
// entity rows of the same keys, exactly as the whole source would be
// (a partition keeps its rows in source order, which breaks the last
// ties). Memory is bounded by the largest partition and the entity rows.
type spillPicker struct {
	dir   string
	parts int
	// gcLimit, when set, is the Go runtime's soft memory limit while
	// picking (the previous one is restored).
	gcLimit    int64
	fetchBytes int64 // see picks.fetch
	watch      *stopwatch
}

// Spilled is the picker that spills a source to dir in parts partitions
// (a job picks it, with as many partitions as its memory budget needs,
// for a source too large for memory when Options.Engine is nil).
func Spilled(dir string, parts int) Picker { return spillPicker{dir: dir, parts: max(parts, 1)} }

// Pick implements Picker.
func (s spillPicker) Pick(ctx context.Context, in PickInput) (*Picked, error) {
	if s.gcLimit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(s.gcLimit))
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("spill directory: %w", err)
	}
	atomicfile.RemoveStaleDirs(s.dir, "spill-*") // left by killed runs
	tmp, release, err := atomicfile.TempDir(s.dir, "spill-*")
	if err != nil {
		return nil, fmt.Errorf("spill directory: %w", err)
	}
	defer release()
	out := newPicked(in)
	sj := newSpillJob(in, s.parts, out)
	paths, counts, err := sj.partition(ctx, tmp)
	if err != nil {
		return nil, err
	}
	s.watch.step("source %s: split into %d partitions", in.Source.Name, s.parts)
	entKey := keyFuncFor(in.EntityKeys)
	intKeyed := len(in.EntityKeys) == 1 && in.EntityKeys[0].Type == transforms.Int64
	byPart := make([][]int32, s.parts)
	for i := range in.Event {
		if ik, sk, ok := entKey(i); ok {
			p := partitionOf(ik, sk, intKeyed, s.parts)
			byPart[p] = append(byPart[p], int32(i))
		}
	}
	for p, path := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(byPart[p]) == 0 {
			continue
		}
		if counts[p] > maxPickRows {
			return nil, featurestore.Errorf(featurestore.EINVALID, "source %s: %d of its rows have join keys of one partition, more than fs picks from at once (%d)",
				in.Source.Name, counts[p], maxPickRows).WithHint("a few join keys hold most of the rows: split the source by another key")
		}
		part, err := readPartition(path, sj.spilled, counts[p])
		if err != nil {
			return nil, fmt.Errorf("read spilled partition %d: %w", p, err)
		}
		sj.pick(part, byPart[p], entKey)
		byPart[p] = nil
	}
	s.watch.step("source %s: read back and pick %d partitions", in.Source.Name, s.parts)
	if err := sj.got.fetch(ctx, in.Files, columnsOf(in.Schema, sj.values), out, s.fetchBytes); err != nil {
		return nil, err
	}
	s.watch.step("source %s: read the other columns of %d rows", in.Source.Name, len(sj.got.rows))
	return out, nil
}

// spillJob is one source's spilled pick. Only the columns the index needs
// (join keys, timestamps) go to the partitions, with each row's place in
// the source; the other columns are read again afterwards for the rows
// picked, so the partitions hold half as much.
type spillJob struct {
	in      PickInput
	parts   int
	idx     []string            // the columns spilled: keys and timestamps
	values  []string            // the columns fetched in the second read
	spilled featurestore.Schema // idx, then the row's place (rowColumn)
	out     *Picked
	got     picks // the source row each entity row picked
}

// rowColumn names the spilled column holding each row's place in the
// source (no parquet column name starts with a NUL).
const rowColumn = "\x00row"

func newSpillJob(in PickInput, parts int, out *Picked) *spillJob {
	sj := &spillJob{in: in, parts: parts, out: out}
	sj.idx, sj.values = splitColumns(in)
	for _, c := range sj.idx {
		col, _ := in.Schema.Lookup(c)
		sj.spilled = append(sj.spilled, col)
	}
	sj.spilled = append(sj.spilled, featurestore.Column{Name: rowColumn, Type: transforms.Int64})
	return sj
}

// partitionOf is the partition of a key: a hash other than the as-of
// index's shard hash, so a partition's keys still spread over its shards.
func partitionOf(ik int64, sk string, intKeyed bool, parts int) int {
	h := hashString(sk)
	if intKeyed {
		h = mix(uint64(ik))
	}
	return int(mix(h^0x9e3779b97f4a7c15) % uint64(parts))
}

// partition writes the source's pickable rows to one file per partition,
// and says how many rows each got.
func (s *spillJob) partition(ctx context.Context, dir string) ([]string, []int, error) {
	paths, counts := make([]string, s.parts), make([]int, s.parts)
	files := make([]*os.File, s.parts)
	writers := make([]*bufio.Writer, s.parts)
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for p := range paths {
		paths[p] = filepath.Join(dir, fmt.Sprintf("part-%04d", p))
		f, err := os.Create(paths[p])
		if err != nil {
			return nil, nil, fmt.Errorf("spill: %w", err)
		}
		files[p], writers[p] = f, bufio.NewWriterSize(f, 256<<10)
	}
	// Row groups are decoded while the one before is split and written.
	chunks := make(chan *featurestore.Table, 1)
	done := make(chan error, 1)
	go func() {
		var err error
		for t := range chunks {
			if err == nil {
				err = s.split(t, writers, counts)
			}
		}
		done <- err
	}()
	next := int64(0)
	_, err := parquet.ScanRowGroups(ctx, s.in.Files, s.idx, func(t *featurestore.Table) error {
		row := featurestore.NewSeries(rowColumn, transforms.Int64, t.Rows)
		for i := range row.I64 {
			row.I64[i] = next + int64(i)
		}
		t.Series = append(t.Series, row)
		next += int64(t.Rows)
		select {
		case chunks <- t:
			return nil
		case err := <-done:
			return err
		}
	})
	close(chunks)
	if werr := <-done; err == nil {
		err = werr
	}
	if err != nil {
		return nil, nil, err
	}
	for p, w := range writers {
		if err := w.Flush(); err != nil {
			return nil, nil, fmt.Errorf("spill: %w", err)
		}
		if err := files[p].Close(); err != nil {
			return nil, nil, fmt.Errorf("spill: %w", err)
		}
		files[p] = nil
	}
	return paths, counts, nil
}

// split writes the rows of one row group that can be picked to their
// partitions' files.
func (s *spillJob) split(t *featurestore.Table, writers []*bufio.Writer, counts []int) error {
	in := s.in
	var keys []*featurestore.Series
	for _, k := range in.JoinKeys {
		keys = append(keys, t.Lookup(k))
	}
	key, intKeyed := keyFuncFor(keys), len(keys) == 1 && keys[0].Type == transforms.Int64
	ts, created := t.Lookup(in.Source.TimestampField), t.Lookup(in.Source.CreatedTimestampField)
	cutoff, hasCutoff := in.Cutoff.UnixNano(), !in.Cutoff.IsZero()
	s.out.noteCreated(t, in)
	rows := make([][]int32, s.parts)
	for i := 0; i < t.Rows; i++ {
		ik, sk, ok := key(i)
		if !ok || ts.Null(i) || (hasCutoff && created != nil && !created.Null(i) && created.I64[i] > cutoff) {
			continue // the index would not take it
		}
		p := partitionOf(ik, sk, intKeyed, s.parts)
		rows[p] = append(rows[p], int32(i))
	}
	for p, r := range rows {
		counts[p] += len(r)
		if len(r) == 0 {
			continue
		}
		if err := writeChunk(writers[p], t, s.spilled.Names(), r); err != nil {
			return fmt.Errorf("spill: %w", err)
		}
	}
	return nil
}

// pick picks from a partition for the entity rows ents, copies the
// spilled columns of each picked row into the result and notes the
// picked row's place in the source, to fetch the other columns.
func (s *spillJob) pick(part *featurestore.Table, ents []int32, entKey keyFunc) {
	picked, ts := pickLatest(sourceOf(part, s.in), asOfQueries{key: entKey, event: s.in.Event, rows: ents}) // partition rows, or -1
	place := part.Lookup(rowColumn).I64
	for k, r := range picked {
		if r >= 0 {
			e := ents[k]
			s.out.Found[e], s.out.Ts[e], s.out.Rows[e] = true, ts[k], place[r]
			s.got.add(e, place[r])
		}
	}
	scatterColumns(s.out.Table, part, returned(s.in, s.idx), ents, picked)
}

// writeChunk appends rows of t (the named columns, in order) to a
// partition file: the row count, then for each column a flag (1: its
// validity follows, a byte a row; 0: no null), then its values in the
// machine's byte order (strings as a length and bytes). Only this process
// reads the file back.
func writeChunk(w *bufio.Writer, t *featurestore.Table, names []string, rows []int32) error {
	var head [4]byte
	binary.LittleEndian.PutUint32(head[:], uint32(len(rows)))
	w.Write(head[:])
	for _, name := range names {
		c := t.Lookup(name)
		if c.Valid == nil {
			w.WriteByte(0)
		} else {
			w.WriteByte(1)
			w.Write(asBytes(pickRowsOf(c.Valid, rows)))
		}
		switch c.Type {
		case transforms.Float64:
			w.Write(asBytes(pickRowsOf(c.F64, rows)))
		case transforms.Int64, transforms.Timestamp:
			w.Write(asBytes(pickRowsOf(c.I64, rows)))
		case transforms.Bool:
			w.Write(asBytes(pickRowsOf(c.Bool, rows)))
		case transforms.String:
			for _, r := range rows {
				binary.LittleEndian.PutUint32(head[:], uint32(len(c.Str[r])))
				w.Write(head[:])
				w.WriteString(c.Str[r])
			}
		}
	}
	_, err := w.Write(nil) // a write error sticks: report it
	return err
}

// pickRowsOf returns v[rows[k]] for each k.
func pickRowsOf[T any](v []T, rows []int32) []T {
	out := make([]T, len(rows))
	for k, r := range rows {
		out[k] = v[r]
	}
	return out
}

// asBytes is the memory of a slice of fixed-size values (bool, int64,
// float64) as bytes, in the machine's byte order.
func asBytes[T bool | int64 | float64](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}

// readInto appends n values read from r to *v.
func readInto[T bool | int64 | float64](r *bufio.Reader, v *[]T, n int) error {
	old := len(*v)
	*v = slices.Grow(*v, n)[:old+n]
	_, err := io.ReadFull(r, asBytes((*v)[old:]))
	return err
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// readPartition reads a partition file of rows rows back into one table,
// its chunks in the order they were written (the source's order).
func readPartition(path string, cols featurestore.Schema, rows int) (*featurestore.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	t := &featurestore.Table{}
	for _, c := range cols {
		s := featurestore.NewSeries(c.Name, c.Type, 0)
		s.Physical, s.Valid = c.Physical, make([]bool, 0, rows)
		switch c.Type {
		case transforms.Float64:
			s.F64 = make([]float64, 0, rows)
		case transforms.Int64, transforms.Timestamp:
			s.I64 = make([]int64, 0, rows)
		case transforms.Bool:
			s.Bool = make([]bool, 0, rows)
		case transforms.String:
			s.Str = make([]string, 0, rows)
		}
		t.Series = append(t.Series, s)
	}
	var b [8]byte
	for {
		if _, err := io.ReadFull(r, b[:4]); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		n := int(binary.LittleEndian.Uint32(b[:4]))
		for _, s := range t.Series {
			if err := readColumn(r, s, n); err != nil {
				return nil, err
			}
		}
		t.Rows += n
	}
	for _, s := range t.Series {
		s.Valid = compactValid(s.Valid)
	}
	return t, nil
}

// readColumn appends n values of s from r.
func readColumn(r *bufio.Reader, s *featurestore.Series, n int) error {
	flag, err := r.ReadByte()
	if err != nil {
		return err
	}
	if flag == 1 {
		err = readInto(r, &s.Valid, n)
	} else {
		for k := 0; k < n; k++ {
			s.Valid = append(s.Valid, true)
		}
	}
	if err != nil {
		return err
	}
	switch s.Type {
	case transforms.Float64:
		return readInto(r, &s.F64, n)
	case transforms.Int64, transforms.Timestamp:
		return readInto(r, &s.I64, n)
	case transforms.Bool:
		return readInto(r, &s.Bool, n)
	case transforms.String:
		var b [4]byte
		for k := 0; k < n; k++ {
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return err
			}
			str := make([]byte, binary.LittleEndian.Uint32(b[:]))
			if _, err := io.ReadFull(r, str); err != nil {
				return err
			}
			s.Str = append(s.Str, string(str))
		}
	}
	return nil
}

// compactValid drops an all-true validity (nil means no null).
func compactValid(v []bool) []bool {
	for _, ok := range v {
		if !ok {
			return v
		}
	}
	return nil
}
