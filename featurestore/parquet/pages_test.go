package parquet

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/featurestore"
)

type ownRow struct {
	K  int64    `parquet:"k"`
	D  *float64 `parquet:"d,optional,dict"`
	F  *float32 `parquet:"f,optional"`
	N  *int32   `parquet:"n,optional,dict"`
	U  uint32   `parquet:"u"`
	T  *int64   `parquet:"t,optional,timestamp(millisecond)"`
	Dt int32    `parquet:"dt,date"`
	Z  *float64 `parquet:"z,optional,zstd"`
	G  float64  `parquet:"g,gzip"`
	P  float64  `parquet:"p,uncompressed"`
	KD int64    `parquet:"kd,dict"` // never null: value k of a page is row k's
	DD float64  `parquet:"dd,dict"`
}

var ownColumns = []string{"k", "d", "f", "n", "u", "t", "dt", "z", "g", "p", "kd", "dd"}

// writeOwnKinds writes rows of every kind fs's page reader takes, in
// small pages, v1 or v2, with nulls (all of them in some pages).
func writeOwnKinds(t testing.TB, path string, seed uint64, v2 bool) {
	r := rand.New(rand.NewPCG(seed, 9))
	rows := make([]ownRow, 5000+r.IntN(5000))
	for i := range rows {
		d, f, n, ts, z := float64(r.IntN(40)), float32(r.NormFloat64()), int32(r.IntN(70)-35), r.Int64N(4e12), r.NormFloat64()
		rows[i] = ownRow{K: r.Int64() >> r.IntN(64), D: &d, F: &f, N: &n, U: r.Uint32(), T: &ts, Dt: int32(r.IntN(40000)),
			Z: &z, G: r.NormFloat64(), P: math.Inf(1 - 2*r.IntN(2)), KD: r.Int64N(300) - 150, DD: float64(r.IntN(50)) / 8}
		if (i/700)%3 == 1 || r.IntN(9) == 0 { // whole pages of nulls, and nulls here and there
			rows[i].D, rows[i].F, rows[i].N, rows[i].T, rows[i].Z = nil, nil, nil, nil, nil
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := []pq.WriterOption{pq.PageBufferSize(256 + r.IntN(4096)), pq.MaxRowsPerRowGroup(int64(2000 + r.IntN(4000)))}
	if v2 {
		opts = append(opts, pq.DataPageVersion(2))
	}
	w := pq.NewGenericWriter[ownRow](f, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// readBothWays reads every row group of the named columns with fs's own
// page reader and with parquet-go's, and counts the chunks the first took.
func readBothWays(t *testing.T, path string, names []string) (own, theirs *featurestore.Table, took, chunks int) {
	t.Helper()
	schema, tasks, total, err := planRead(context.Background(), []string{path}, names)
	if err != nil {
		t.Fatal(err)
	}
	own, _, _ = newTable(schema, total)
	theirs, decoders, _ := newTable(schema, total)
	var open openFile
	defer open.close()
	f, err := open.get(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		for ci, c := range schema {
			chunks++
			if readOwn(f, task, c, own.Series[ci]) {
				took++
			} else if err := readChunk(f, task, c, decoders[ci], own.Series[ci]); err != nil {
				t.Fatal(err)
			}
			if err := readTheirs(f, task, c, decoders[ci], theirs.Series[ci]); err != nil {
				t.Fatal(err)
			}
		}
	}
	return own, theirs, took, chunks
}

func sameTables(t *testing.T, what string, a, b *featurestore.Table) {
	t.Helper()
	for ci, s := range a.Series {
		for i := range a.Rows {
			x, y := s.Value(i), b.Series[ci].Value(i)
			if fmt.Sprint(x) != fmt.Sprint(y) || (x == nil) != (y == nil) {
				t.Fatalf("%s: column %s row %d: own reader %v, parquet-go %v", what, s.Name, i, x, y)
			}
		}
	}
}

// TestOwnPagesAreParquetGos holds fs's own page reader to parquet-go's on
// every kind it takes: plain and dictionary pages, v1 and v2, required and
// optional columns, pages of nulls, snappy, zstd, gzip and none, INT32
// (signed, unsigned, dates), INT64 (timestamps), FLOAT and DOUBLE; and on
// the files pandas wrote in the repository.
func TestOwnPagesAreParquetGos(t *testing.T) {
	dir := t.TempDir()
	for seed := range uint64(6) {
		path := filepath.Join(dir, fmt.Sprintf("own%d.parquet", seed))
		writeOwnKinds(t, path, seed, seed%2 == 1)
		own, theirs, took, chunks := readBothWays(t, path, ownColumns)
		sameTables(t, path, own, theirs)
		if took != chunks {
			t.Errorf("%s: the own reader took %d of %d chunks", path, took, chunks)
		}
	}
	for _, path := range []string{"../../examples/data/driver_stats.parquet", "../../examples/data/driver_stats_stream.parquet"} {
		s, _, err := Layout(context.Background(), []string{path})
		if err != nil {
			t.Fatal(err)
		}
		own, theirs, took, _ := readBothWays(t, path, s.Names())
		sameTables(t, path, own, theirs)
		if took == 0 {
			t.Errorf("%s: the own reader took no chunk", path)
		}
	}
}

// TestOwnRowsAreParquetGos holds the own reader's copy of some rows to
// parquet-go's, on every kind of page, for sparse and dense choices.
func TestOwnRowsAreParquetGos(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	for seed := range uint64(4) {
		path := filepath.Join(dir, fmt.Sprintf("rows%d.parquet", seed))
		writeOwnKinds(t, path, seed+10, seed%2 == 0)
		schema, tasks, _, err := planRead(context.Background(), []string{path}, ownColumns)
		if err != nil {
			t.Fatal(err)
		}
		var open openFile
		f, err := open.get(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			for _, every := range []int{1, 3, 200, task.rows + 1} {
				var want []int64
				for r := rng.IntN(every); r < task.rows; r += 1 + rng.IntN(every) {
					want = append(want, int64(task.off+r))
				}
				own, _, _ := newTable(schema, len(want)+5)
				theirs, decoders, _ := newTable(schema, len(want)+5)
				for ci, c := range schema {
					if !readRowsOwn(f, task, c, want, 5, own.Series[ci]) {
						t.Fatalf("%s: the own reader did not take column %s", path, c.Name)
					}
					chunk, maxDef, err := chunkOf(f, task, c)
					if err != nil {
						t.Fatal(err)
					}
					pr := pageRows{pages: chunk.Pages(), maxDef: maxDef, col: c, dec: decoders[ci]}
					if _, err := pr.copyRows(theirs.Series[ci], want, 5, int64(task.off), task.rows); err != nil {
						t.Fatal(err)
					}
				}
				sameTables(t, fmt.Sprintf("%s, %d rows of group %d", path, len(want), task.rg), own, theirs)
			}
		}
		open.close()
	}
}

// FuzzOwnPagesAreParquetGos damages a file of every kind the own reader
// takes: whatever it reads without failing (a failure falls back to
// parquet-go), parquet-go reads too, to the same values.
func FuzzOwnPagesAreParquetGos(f *testing.F) {
	dir := f.TempDir()
	for seed := range uint64(2) {
		path := filepath.Join(dir, fmt.Sprintf("seed%d.parquet", seed))
		writeOwnKinds(f, path, seed+20, seed == 1)
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint32(len(b)/2), byte(0x5a))
	}
	f.Fuzz(func(t *testing.T, b []byte, at uint32, x byte) {
		if len(b) == 0 || len(b) > 1<<20 {
			return
		}
		b = append([]byte(nil), b...)
		b[int(at)%len(b)] ^= x
		path := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		schema, tasks, total, err := planRead(context.Background(), []string{path}, ownColumns)
		if err != nil || total > 1<<20 {
			return
		}
		own, _, _ := newTable(schema, total)
		theirs, decoders, _ := newTable(schema, total)
		var open openFile
		defer open.close()
		file, err := open.get(context.Background(), path)
		if err != nil {
			return
		}
		for _, task := range tasks {
			for ci, c := range schema {
				if !readOwn(file, task, c, own.Series[ci]) {
					continue
				}
				if err := readTheirs(file, task, c, decoders[ci], theirs.Series[ci]); err != nil {
					t.Fatalf("the own reader read column %s of group %d, which parquet-go refuses: %v", c.Name, task.rg, err)
				}
				for i := task.off; i < task.off+task.rows; i++ {
					if x, y := own.Series[ci].Value(i), theirs.Series[ci].Value(i); fmt.Sprint(x) != fmt.Sprint(y) {
						t.Fatalf("column %s row %d: own reader %v, parquet-go %v", c.Name, i, x, y)
					}
				}
			}
		}
	})
}

// readTheirs reads a chunk with parquet-go only, a panic on a damaged
// page an error.
func readTheirs(f *file, task readTask, c featurestore.Column, dec decoder, s *featurestore.Series) (err error) {
	defer recoverDamaged(&err, task, c)
	chunk, maxDef, err := chunkOf(f, task, c)
	if err != nil {
		return err
	}
	return readColumn(chunk.Pages(), s, task.off, task.rows, maxDef, c, dec)
}
