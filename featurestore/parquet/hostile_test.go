package parquet_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
)

func writeRows[T any](t testing.TB, rows []T, opts ...pq.WriterOption) string {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type unsignedRow struct {
	U uint32 `parquet:"u"`
	S uint16 `parquet:"s"`
}

// UINT32 values past 2^31 read as themselves, not as negative numbers.
func TestUnsignedColumnsReadUnsigned(t *testing.T) {
	for _, dict := range []bool{false, true} {
		opts := []pq.WriterOption{}
		if dict {
			opts = append(opts, pq.DefaultEncoding(&pq.RLEDictionary))
		}
		path := writeRows(t, []unsignedRow{{3_000_000_000, 65535}, {1, 2}, {4_294_967_295, 0}}, opts...)
		tb, _, err := parquet.ReadTable(context.Background(), []string{path}, []string{"u", "s"})
		if err != nil {
			t.Fatal(err)
		}
		if got := tb.Series[0].I64; got[0] != 3_000_000_000 || got[2] != 4_294_967_295 || tb.Series[1].I64[0] != 65535 {
			t.Errorf("dictionary %v: read %v and %v", dict, got, tb.Series[1].I64)
		}
	}
}

type farRow struct {
	ID int64 `parquet:"id"`
	TS int64 `parquet:"ts,timestamp(microsecond:utc)"`
	MS int64 `parquet:"ms,timestamp(millisecond:utc)"`
	DM int64 `parquet:"dm,dict,timestamp(millisecond:utc)"` // the same, dictionary-encoded
}

// Times parquet holds but int64 nanoseconds cannot are refused, naming the
// file, the column and the row; never wrapped.
func TestTimesOutsideTheRangeAreRefused(t *testing.T) {
	ok := time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, far := range []time.Time{time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1500, 6, 1, 0, 0, 0, 0, time.UTC)} {
		for _, col := range []string{"ts", "ms", "dm"} {
			rows := make([]farRow, 5)
			for i := range rows {
				rows[i] = farRow{ID: int64(i), TS: ok.UnixMicro(), MS: ok.UnixMilli(), DM: ok.UnixMilli()}
			}
			switch col {
			case "ts":
				rows[3].TS = far.UnixMicro()
			case "ms":
				rows[3].MS = far.UnixMilli()
			default:
				rows[3].DM = far.UnixMilli()
			}
			path := writeRows(t, rows)
			_, _, err := parquet.ReadTable(context.Background(), []string{path}, []string{"id", col})
			want := fmt.Sprintf("%s: column %s, row 4: %s is outside", path, col, far.Format(time.RFC3339))
			if err == nil || !strings.Contains(err.Error(), want) || featurestore.ErrorCode(err) != featurestore.EINVALID {
				t.Errorf("%v in %s: %v, want %q", far, col, err, want)
			}
		}
	}
}

// A footer whose length field says more than the file holds is refused
// before anything is allocated for it.
func TestFooterLengthBeyondTheFile(t *testing.T) {
	path := writeRows(t, []farRow{{1, 2, 3, 3}})
	b, _ := os.ReadFile(path)
	binary.LittleEndian.PutUint32(b[len(b)-8:], 0xFFFFFFF0)
	os.WriteFile(path, b, 0o644)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := parquet.FileSchema(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "footer length") {
		t.Errorf("FileSchema = %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("reading a bad footer allocated %d bytes", grew)
	}
}

type oneRow struct {
	ID int64   `parquet:"id"`
	X  float64 `parquet:"x"`
}

// A file of many one-row row groups reads (linear in row groups; see
// BenchmarkManyRowGroups).
func TestManyRowGroups(t *testing.T) {
	path := manyRowGroups(t, 2000)
	tb, _, err := parquet.ReadTable(context.Background(), []string{path}, []string{"id", "x"})
	if err != nil || tb.Rows != 2000 || tb.Series[0].I64[1999] != 1999 {
		t.Fatalf("read %v rows, err %v", tb, err)
	}
	n := 0
	_, err = parquet.ScanRowGroups(context.Background(), []string{path}, []string{"id"}, func(t *featurestore.Table) error {
		n += t.Rows
		return nil
	})
	if err != nil || n != 2000 {
		t.Fatalf("scanned %d rows, err %v", n, err)
	}
}

func manyRowGroups(t testing.TB, n int) string {
	rows := make([]oneRow, n)
	for i := range rows {
		rows[i] = oneRow{int64(i), float64(i)}
	}
	return writeRows(t, rows, pq.MaxRowsPerRowGroup(1))
}

// BenchmarkManyRowGroups reads files of 1,000 and 4,000 one-row row
// groups: the time per row group stays the same (it grew with the count
// when each row group parsed the footer again).
func BenchmarkManyRowGroups(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		path := manyRowGroups(b, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := parquet.ReadTable(context.Background(), []string{path}, []string{"id", "x"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/rowgroup")
		})
	}
}

// A source directory's linked directories are read (each once, so a link
// cycle ends); a broken link is an error, not a silently smaller source.
func TestSourceDirectoryLinks(t *testing.T) {
	root := t.TempDir()
	src, other := filepath.Join(root, "src"), filepath.Join(root, "other")
	os.MkdirAll(src, 0o755)
	os.MkdirAll(other, 0o755)
	one := writeRows(t, []oneRow{{1, 1}})
	b, _ := os.ReadFile(one)
	os.WriteFile(filepath.Join(src, "a.parquet"), b, 0o644)
	os.WriteFile(filepath.Join(other, "b.parquet"), b, 0o644)
	os.Symlink(other, filepath.Join(src, "linked"))
	os.Symlink(src, filepath.Join(other, "back")) // a cycle
	files, err := parquet.Files(src)
	if err != nil || len(files) != 2 || filepath.Base(files[1]) != "b.parquet" {
		t.Fatalf("Files = %v, %v; want a.parquet and linked/b.parquet", files, err)
	}
	os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(src, "broken.parquet"))
	if _, err := parquet.Files(src); err == nil || !strings.Contains(err.Error(), "broken.parquet") {
		t.Errorf("a broken link: %v", err)
	}
}
