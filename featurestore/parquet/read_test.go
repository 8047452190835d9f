package parquet_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

type timeRow struct {
	Spark  deprecated.Int96 `parquet:"spark"`
	Millis int64            `parquet:"millis,timestamp(millisecond:utc)"`
	Nanos  int64            `parquet:"nanos,timestamp(nanosecond:local)"`
	Day    int32            `parquet:"day,date"`
	Small  int32            `parquet:"small"`
	Ratio  float32          `parquet:"ratio"`
	Name   string           `parquet:"name,dict"`
	Plain  string           `parquet:"plain"`
	Opt    *string          `parquet:"opt,optional,dict"`
	Maybe  *float64         `parquet:"maybe,optional"`
	Flag   bool             `parquet:"flag"`
}

// int96 encodes t as Spark does: nanoseconds of the day in the low 8
// bytes, the Julian day in the high 4.
func int96(t time.Time) deprecated.Int96 {
	day := t.Unix()/86400 + 2440588
	nanos := uint64(t.UnixNano() - (t.Unix()/86400)*86400e9)
	return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day)}
}

var kindColumns = []string{"spark", "millis", "nanos", "day", "small", "ratio", "name", "plain", "opt", "maybe", "flag"}

// writeKinds writes 5000 rows of every kind of column, hours apart from
// when, in row groups of 1500 rows and pages of 4 KiB.
func writeKinds(t *testing.T, path string, when time.Time) []timeRow {
	var rows []timeRow
	for i := 0; i < 5000; i++ {
		ti := when.Add(time.Duration(i) * time.Hour)
		r := timeRow{Spark: int96(ti), Millis: ti.UnixMilli(), Nanos: ti.UnixNano(), Day: int32(ti.Unix() / 86400),
			Small: int32(i - 2500), Ratio: float32(i) / 8, Name: []string{"a", "b", "c"}[i%3], Flag: i%2 == 0}
		if i%7 != 0 {
			v := float64(i) / 3
			r.Maybe = &v
		}
		r.Plain = fmt.Sprintf("p%d", i)
		if i%5 != 0 {
			o := []string{"x", "yy", ""}[i%3]
			r.Opt = &o
		}
		rows = append(rows, r)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pq.NewGenericWriter[timeRow](f, pq.PageBufferSize(4096), pq.MaxRowsPerRowGroup(1500))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	w.Close()
	f.Close()
	return rows
}

func TestReadTableKinds(t *testing.T) {
	when := time.Date(2021, 4, 16, 20, 29, 28, 123456789, time.UTC)
	path := filepath.Join(t.TempDir(), "k.parquet")
	rows := writeKinds(t, path, when)
	tab, _, err := parquet.ReadTable(context.Background(), []string{path}, kindColumns)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != len(rows) {
		t.Fatalf("%d rows, want %d", tab.Rows, len(rows))
	}
	for i, r := range rows {
		ti := when.Add(time.Duration(i) * time.Hour)
		check := func(col string, got, want any) {
			if got != want {
				t.Fatalf("row %d %s = %v, want %v", i, col, got, want)
			}
		}
		check("spark", tab.Lookup("spark").I64[i], ti.UnixNano())
		check("millis", tab.Lookup("millis").I64[i], ti.Truncate(time.Millisecond).UnixNano())
		check("nanos", tab.Lookup("nanos").I64[i], ti.UnixNano())
		check("day", tab.Lookup("day").I64[i], (ti.Unix()/86400)*86400e9)
		check("small", tab.Lookup("small").I64[i], int64(r.Small))
		check("ratio", tab.Lookup("ratio").F64[i], float64(r.Ratio))
		check("name", tab.Lookup("name").Str[i], r.Name)
		check("plain", tab.Lookup("plain").Str[i], r.Plain)
		check("opt null", tab.Lookup("opt").Null(i), r.Opt == nil)
		if r.Opt != nil {
			check("opt", tab.Lookup("opt").Str[i], *r.Opt)
		}
		check("flag", tab.Lookup("flag").Bool[i], r.Flag)
		m := tab.Lookup("maybe")
		check("maybe null", m.Null(i), r.Maybe == nil)
		if r.Maybe != nil {
			check("maybe", m.F64[i], *r.Maybe)
		}
	}
	if tab.Lookup("small").Valid != nil {
		t.Error("a column without nulls keeps a validity mask")
	}
}

// ReadRows gives the rows asked, of every kind of column, as ReadTable
// numbers them across two files: none, a few, one per page, all.
func TestReadRowsIsReadTable(t *testing.T) {
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")}
	writeKinds(t, files[0], time.Date(2021, 4, 16, 0, 0, 0, 0, time.UTC))
	writeKinds(t, files[1], time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC))
	whole, _, err := parquet.ReadTable(context.Background(), files, kindColumns)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, every := range []int{whole.Rows + 1, 997, 50, 1} {
		var rows []int64
		for r := rng.IntN(every); r < whole.Rows; r += 1 + rng.IntN(2*every) {
			rows = append(rows, int64(r))
		}
		got, err := parquet.ReadRows(context.Background(), files, kindColumns, rows)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rows != len(rows) {
			t.Fatalf("%d rows, want %d", got.Rows, len(rows))
		}
		for k, r := range rows {
			for _, c := range kindColumns {
				if g, w := got.Lookup(c).Value(k), whole.Lookup(c).Value(int(r)); g != w {
					t.Fatalf("row %d (%d of %d asked), %s: %v, want %v", r, k, len(rows), c, g, w)
				}
			}
		}
	}
}

func TestWriteTableDeterministicAcrossRowGroups(t *testing.T) {
	n := 300_000 // three row groups
	tab := &featurestore.Table{Rows: n}
	k := featurestore.NewSeries("k", transforms.Int64, n)
	ts := featurestore.NewSeries("ts", transforms.Timestamp, n)
	x := featurestore.NewSeries("x", transforms.Float64, n)
	s := featurestore.NewSeries("s", transforms.String, n)
	for i := 0; i < n; i++ {
		k.I64[i] = int64(i % 977)
		ts.I64[i] = int64(i) * 1e9
		x.F64[i] = math.Sin(float64(i))
		s.Str[i] = string(rune('a' + i%26))
		if i%11 == 0 {
			x.SetNull(i, n)
		}
	}
	tab.Series = []*featurestore.Series{k, ts, x, s}
	var a, b bytes.Buffer
	meta := map[string]string{"fs.z": "1", "fs.a": "2", "fs.m": "3"}
	if err := parquet.WriteTable(&a, tab, meta); err != nil {
		t.Fatal(err)
	}
	if err := parquet.WriteTable(&b, tab, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of the same table differ")
	}
	path := filepath.Join(t.TempDir(), "out.parquet")
	os.WriteFile(path, a.Bytes(), 0o644)
	back, schema, err := parquet.ReadTable(context.Background(), []string{path}, []string{"k", "ts", "x", "s"})
	if err != nil {
		t.Fatal(err)
	}
	if schema[1].Physical != "INT64/TIMESTAMP(MICROS,UTC)" {
		t.Errorf("timestamp written as %s", schema[1].Physical)
	}
	for i := 0; i < n; i++ {
		if back.Lookup("k").I64[i] != k.I64[i] || back.Lookup("ts").I64[i] != ts.I64[i] || back.Lookup("s").Str[i] != s.Str[i] ||
			back.Lookup("x").Null(i) != x.Null(i) || (!x.Null(i) && back.Lookup("x").F64[i] != x.F64[i]) {
			t.Fatalf("row %d does not round-trip", i)
		}
	}
	names := []string{}
	for _, c := range schema {
		names = append(names, c.Name)
	}
	f, _ := os.Open(path)
	st, _ := f.Stat()
	pf, err := pq.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(pf.RowGroups()) != 3 {
		t.Errorf("%d row groups, want 3", len(pf.RowGroups()))
	}
	if v, ok := pf.Lookup("fs.m"); !ok || v != "3" {
		t.Errorf("metadata fs.m = %q", v)
	}
	if got := pf.Schema().Fields(); got[0].Name() != "k" || got[3].Name() != "s" {
		t.Errorf("column order %s, %s", got[0].Name(), got[3].Name())
	}
}

type gatherRow struct {
	D *float64 `parquet:"d,optional,dict"`
	P *float64 `parquet:"p,optional"`
	F float32  `parquet:"f,dict"`
	I *int64   `parquet:"i,optional"`
}

// TestReadRowsGathersPages holds ReadRows, which copies the rows asked
// straight from a page without nulls, to ReadTable, which decodes every
// page: dictionary and plain pages, small ones, with nulls in the first
// half of the rows only.
func TestReadRowsGathersPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 20_000
	rows := make([]gatherRow, n)
	for r := range rows {
		d, p, i := float64(rng.IntN(50)), rng.NormFloat64(), rng.Int64()
		rows[r] = gatherRow{D: &d, P: &p, F: float32(rng.IntN(9)), I: &i}
		if r < n/2 && rng.IntN(7) == 0 {
			rows[r].D, rows[r].P, rows[r].I = nil, nil, nil
		}
	}
	w := pq.NewGenericWriter[gatherRow](f, pq.PageBufferSize(512), pq.MaxRowsPerRowGroup(n/3))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cols := []string{"d", "p", "f", "i"}
	whole, _, err := parquet.ReadTable(context.Background(), []string{path}, cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, every := range []int{3, 40, 900} {
		var want []int64
		for r := rng.IntN(every); r < n; r += 1 + rng.IntN(every) {
			want = append(want, int64(r))
		}
		got, err := parquet.ReadRows(context.Background(), []string{path}, cols, want)
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range want {
			for _, c := range cols {
				if g, w := got.Lookup(c).Value(k), whole.Lookup(c).Value(int(r)); g != w {
					t.Fatalf("row %d, %s: %v, want %v", r, c, g, w)
				}
			}
		}
	}
}

// TestTimeColumnStats writes a timestamp column across row groups and
// files, one file all null, and reads its largest value from the footers
// alone; a column that is not a time, or missing, is not Known.
func TestTimeColumnStats(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rows int, set func(s *featurestore.Series, i int)) string {
		s := featurestore.NewSeries("created", transforms.Timestamp, rows)
		f := featurestore.NewSeries("x", transforms.Float64, rows)
		for i := range rows {
			set(s, i)
		}
		path := filepath.Join(dir, name)
		var buf bytes.Buffer
		if err := parquet.WriteTable(&buf, &featurestore.Table{Rows: rows, Series: []*featurestore.Series{s, f}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	r := rand.New(rand.NewPCG(7, 7))
	var want int64 = math.MinInt64
	a := write("a.parquet", 300_000, func(s *featurestore.Series, i int) {
		s.I64[i] = (r.Int64N(2e18) - 1e18) / 1000 * 1000 // microseconds, as written
		if i%7 == 0 {
			s.SetNull(i, 300_000)
		} else {
			want = max(want, s.I64[i])
		}
	})
	nulls := write("b.parquet", 10, func(s *featurestore.Series, i int) { s.SetNull(i, 10) })
	for _, files := range [][]string{{a, nulls}, {nulls, a, nulls}} {
		got, err := parquet.TimeColumnStats(context.Background(), files, "created")
		if err != nil || got != (parquet.TimeStats{Known: true, NonNull: true, Max: want}) {
			t.Fatalf("stats of %d files: %+v, %v; want Known, NonNull, Max %d", len(files), got, err, want)
		}
	}
	if got, err := parquet.TimeColumnStats(context.Background(), []string{nulls}, "created"); err != nil || got != (parquet.TimeStats{Known: true}) {
		t.Fatalf("stats of an all-null column: %+v, %v; want Known only", got, err)
	}
	for _, col := range []string{"x", "missing"} {
		if got, err := parquet.TimeColumnStats(context.Background(), []string{a}, col); err != nil || got.Known {
			t.Fatalf("stats of %s: %+v, %v; want not Known", col, got, err)
		}
	}
}

// Footers are read several files at a time, yet a source's errors come as
// a loop in file order gives them: a file that does not match before a
// damaged one after it, a damaged one before a mismatch after it, and a
// damaged file far down a long list named.
func TestFooterErrorsInFileOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, cols ...string) string {
		tab := &featurestore.Table{Rows: 3, Series: []*featurestore.Series{featurestore.NewSeries("t", transforms.Timestamp, 3)}}
		for _, c := range cols {
			tab.Series = append(tab.Series, featurestore.NewSeries(c, transforms.Float64, 3))
		}
		var buf bytes.Buffer
		if err := parquet.WriteTable(&buf, tab, nil); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	other := write("other.parquet", "x", "y")
	bad := filepath.Join(dir, "bad.parquet")
	if err := os.WriteFile(bad, []byte("PAR1 not a footer PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	var many []string
	for i := range 40 {
		many = append(many, write(fmt.Sprintf("good%02d.parquet", i), "x"))
	}
	if _, rows, err := parquet.Layout(context.Background(), many); err != nil || rows != 120 {
		t.Fatalf("layout of 40 files: %d rows, %v; want 120", rows, err)
	}
	check := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", what, err, want)
		}
	}
	_, err := parquet.FilesSchema(context.Background(), []string{many[0], other, bad})
	check("a mismatch, then a damaged file", err, other+" does not match")
	_, err = parquet.FilesSchema(context.Background(), []string{many[0], bad, other})
	check("a damaged file, then a mismatch", err, bad+" is not a readable parquet file")
	withBad := slices.Clone(many)
	withBad[33] = bad
	_, err = parquet.FilesSchema(context.Background(), withBad)
	check("FilesSchema, file 34 of 40 damaged", err, bad)
	_, _, err = parquet.Layout(context.Background(), withBad)
	check("Layout, file 34 of 40 damaged", err, bad)
	_, _, err = parquet.ReadTable(context.Background(), withBad, []string{"x"})
	check("ReadTable, file 34 of 40 damaged", err, bad)
	if st, err := parquet.TimeColumnStats(context.Background(), many, "t"); err != nil || !st.Known || !st.NonNull {
		t.Fatalf("stats of t in 40 files: %+v, %v", st, err)
	}
	_, err = parquet.TimeColumnStats(context.Background(), withBad, "t")
	check("TimeColumnStats, file 34 of 40 damaged", err, bad)
}
