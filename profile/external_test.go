package profile

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/numeric"
	"github.com/fs-dev/fs/transforms"
)

// writeSource writes two parquet files of every column type, with nulls,
// NaN, zeros, repeats, out-of-order times and duplicate rows.
func writeSource(t *testing.T, dir string, rows int) []string {
	rng := rand.New(rand.NewPCG(3, 4))
	var files []string
	for f := 0; f < 2; f++ {
		n := rows / 2
		id, ts := featurestore.NewSeries("driver_id", transforms.Int64, n), featurestore.NewSeries("event_timestamp", transforms.Timestamp, n)
		x, k := featurestore.NewSeries("x", transforms.Float64, n), featurestore.NewSeries("k", transforms.Int64, n)
		b, name := featurestore.NewSeries("flag", transforms.Bool, n), featurestore.NewSeries("name", transforms.String, n)
		big := featurestore.NewSeries("big", transforms.Float64, n)
		for i := 0; i < n; i++ {
			id.I64[i] = rng.Int64N(300)
			ts.I64[i] = int64(i)*int64(time.Minute) + rng.Int64N(3)*int64(time.Hour)
			x.F64[i] = math.Round(rng.NormFloat64()*100) / 10 // repeats and zeros
			if rng.IntN(50) == 0 {
				x.F64[i] = math.NaN()
			}
			k.I64[i], b.Bool[i], name.Str[i] = rng.Int64N(20), rng.IntN(3) == 0, fmt.Sprintf("n%d", rng.IntN(500))
			big.F64[i] = rng.ExpFloat64() * 1e6 // outliers
			for _, s := range []*featurestore.Series{x, k, b, name, big} {
				if rng.IntN(30) == 0 {
					s.SetNull(i, n)
				}
			}
			if i > 0 && rng.IntN(40) == 0 { // a duplicate of the row before
				for _, s := range []*featurestore.Series{id, ts, x, k, b, name, big} {
					copyRow(s, i, i-1, n)
				}
			}
		}
		tab := &featurestore.Table{Rows: n, Series: []*featurestore.Series{id, ts, x, k, b, name, big}}
		path := filepath.Join(dir, fmt.Sprintf("part-%d.parquet", f))
		out, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := parquet.WriteTable(out, tab, nil); err != nil {
			t.Fatal(err)
		}
		out.Close()
		files = append(files, path)
	}
	return files
}

func copyRow(s *featurestore.Series, to, from, n int) {
	if s.Null(from) {
		s.SetNull(to, n)
		return
	}
	if s.Valid != nil {
		s.Valid[to] = true
	}
	switch s.Type {
	case transforms.Float64:
		s.F64[to] = s.F64[from]
	case transforms.Int64, transforms.Timestamp:
		s.I64[to] = s.I64[from]
	case transforms.Bool:
		s.Bool[to] = s.Bool[from]
	case transforms.String:
		s.Str[to] = s.Str[from]
	}
}

// A profile in a budget far below the data (hashes and columns in
// temporary files, columns sorted in runs of 1,024 values and merged) is
// the profile in memory, figure for figure, and leaves no file behind.
func TestBoundedProfileIsTheSame(t *testing.T) {
	dir := t.TempDir()
	files := writeSource(t, dir, 40000)
	// An integer entity key, a string one with nulls, and both (the
	// entities' counts go to disk past 163 entities at this limit).
	for _, keys := range [][]string{{"driver_id"}, {"name"}, {"driver_id", "k"}} {
		o := Options{TimestampColumn: "event_timestamp", EntityColumns: keys, Target: "flag"}
		whole, err := Run(context.Background(), dir, files, o)
		if err != nil {
			t.Fatal(err)
		}
		tmp := t.TempDir()
		o.MemoryLimit, o.TempDir = 64<<10, tmp
		bounded, err := Run(context.Background(), dir, files, o)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.MarshalIndent(whole, "", " ")
		b, _ := json.MarshalIndent(bounded, "", " ")
		if string(a) != string(b) {
			t.Errorf("%v: the bounded profile differs:\n%s\nin memory:\n%s", keys, b, a)
		}
		if whole.Table.DuplicateRows == 0 || whole.Columns[2].Nulls == 0 || whole.Columns[6].Outliers == 0 || whole.Table.Entities < 300 {
			t.Errorf("%v: the data tests little: %+v", keys, whole.Table)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("%v: temporary files left: %v", keys, left)
		}
	}
}

// PairwiseSumOf, fed one value at a time, gives PairwiseSum's bits.
func TestPairwiseSumOfStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{0, 1, 7, 8, 100, 128, 129, 1000, 12345} {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)))
		}
		k := 0
		got := numeric.PairwiseSumOf(n, func() float64 { k++; return v[k-1] })
		if want := numeric.PairwiseSum(v); math.Float64bits(got) != math.Float64bits(want) || k != n {
			t.Errorf("n=%d: %v, want %v (read %d)", n, got, want, k)
		}
	}
}
