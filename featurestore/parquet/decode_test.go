package parquet

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// TestScatterScaledBounds holds the range check of scaled timestamps to
// the multiplication it stands for, at the edges of int64.
func TestScatterScaledBounds(t *testing.T) {
	for _, mult := range []int64{1000, 1_000_000, 86400e9} {
		hi, lo := int64(math.MaxInt64)/mult, int64(math.MinInt64)/mult
		vals := []int64{0, hi, hi + 1, lo, lo - 1, -1, math.MaxInt64, math.MinInt64}
		for k, v := range vals {
			dst, valid := make([]int64, 1), make([]bool, 1)
			bad := scatterScaled(dst, valid, 0, 1, nil, 1, vals[k:k+1], nil, mult)
			y := v * mult
			fits := y/mult == v && !(v == -1 && y == math.MinInt64)
			if fits != (bad < 0) {
				t.Errorf("%d * %d: flagged %v, fits %v", v, mult, bad >= 0, fits)
			}
			if fits && dst[0] != y || !fits && dst[0] != v || !valid[0] {
				t.Errorf("%d * %d: got %d valid %v", v, mult, dst[0], valid[0])
			}
		}
	}
}

// BenchmarkWriteTableLevels writes a table shaped as the benchmark's
// output (1M rows: a key, a timestamp and six random floats) at each zstd
// level, and reports the file's size.
func BenchmarkWriteTableLevels(b *testing.B) {
	const rows = 1 << 20
	r := rand.New(rand.NewPCG(1, 2))
	t := &featurestore.Table{Rows: rows}
	key, ts := featurestore.NewSeries("entity_id", transforms.Int64, rows), featurestore.NewSeries("event_timestamp", transforms.Timestamp, rows)
	for i := range rows {
		key.I64[i], ts.I64[i] = r.Int64N(100_000), 1_704_067_200_000_000_000+r.Int64N(90*86400e9)/1000*1000
	}
	t.Series = append(t.Series, key, ts)
	for c := range 6 {
		s := featurestore.NewSeries(fmt.Sprintf("f%d", c), transforms.Float64, rows)
		for i := range rows {
			s.F64[i] = r.NormFloat64()
		}
		t.Series = append(t.Series, s)
	}
	defer func(l zstd.Level) { zstdLevel = l }(zstdLevel)
	for _, l := range []zstd.Level{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression, zstd.SpeedBestCompression} {
		b.Run(fmt.Sprintf("level=%d", l), func(b *testing.B) {
			zstdLevel = l
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if err := WriteTable(&buf, t, nil); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size)/(1<<20), "MiB")
		})
	}
}

// failAfter is a writer that fails once it has taken n bytes.
type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, fmt.Errorf("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteTableFailsWhole: a writer that fails while row groups are
// committed, as later ones are still encoded, fails the write (no hang),
// wherever it fails.
func TestWriteTableFailsWhole(t *testing.T) {
	const rows = 3*rowGroupRows + 17
	tab := &featurestore.Table{Rows: rows}
	s := featurestore.NewSeries("x", transforms.Float64, rows)
	for i := range rows {
		s.F64[i] = float64(i) / 3
	}
	tab.Series = append(tab.Series, s)
	var whole bytes.Buffer
	if err := WriteTable(&whole, tab, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 100, whole.Len() / 3, whole.Len() - 10} {
		if err := WriteTable(&failAfter{n: n}, tab, nil); err == nil {
			t.Errorf("a writer failing after %d of %d bytes: no error", n, whole.Len())
		}
	}
}

// TestValueBitsAreParquetGos checks that writing values by replacing the
// bits of a leveled template (valueBits) builds the Values and the file
// bytes that parquet-go's constructors and Value.Level do, with nulls,
// NaN, -0 and the int64 and timestamp extremes; and that the offset is
// found in the parquet-go version this module pins (else writing is
// slower: a parquet-go upgrade that moves it must be looked at).
func TestValueBitsAreParquetGos(t *testing.T) {
	if valueBits < 0 {
		t.Fatal("the bits of a parquet-go Value were not found: valuesOf calls Value.Level per value")
	}
	const rows = 3000
	r := rand.New(rand.NewPCG(5, 6))
	tab := &featurestore.Table{Rows: rows}
	f, k, ts := featurestore.NewSeries("f", transforms.Float64, rows), featurestore.NewSeries("k", transforms.Int64, rows),
		featurestore.NewSeries("ts", transforms.Timestamp, rows)
	specials := []float64{math.NaN(), math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.MaxFloat64}
	for i := range rows {
		f.F64[i], k.I64[i], ts.I64[i] = r.NormFloat64(), r.Int64(), r.Int64()-r.Int64()
		switch i % 97 {
		case 0:
			f.F64[i], k.I64[i], ts.I64[i] = specials[i%len(specials)], math.MinInt64, math.MinInt64
		case 1:
			k.I64[i], ts.I64[i] = math.MaxInt64, math.MaxInt64
		case 2:
			f.SetNull(i, rows)
			k.SetNull(i, rows)
			ts.SetNull(i, rows)
		}
	}
	tab.Series = []*featurestore.Series{f, k, ts}
	write := func() []byte {
		var buf bytes.Buffer
		if err := WriteTable(&buf, tab, map[string]string{"m": "v"}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	fast := write()
	off := valueBits
	defer func() { valueBits = off }()
	for ci, s := range tab.Series {
		got, want := make([]pq.Value, rows), make([]pq.Value, rows)
		valueBits = off
		valuesOf(got, s, 0, ci)
		valueBits = -1
		valuesOf(want, s, 0, ci)
		if !slices.Equal(got, want) {
			t.Fatalf("column %s: Values differ from parquet-go's", s.Name)
		}
	}
	if !bytes.Equal(fast, write()) {
		t.Fatal("the file written with replaced bits differs from the one written with Value.Level")
	}
}

func TestHasFalse(t *testing.T) {
	for n := range 70 {
		v := make([]bool, n)
		for i := range v {
			v[i] = true
		}
		if hasFalse(v) {
			t.Fatalf("%d trues: a false found", n)
		}
		for i := range n {
			v[i] = false
			if !hasFalse(v) {
				t.Fatalf("%d bools, false at %d: not found", n, i)
			}
			v[i] = true
		}
	}
}
