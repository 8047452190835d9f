package materialize

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// randomSource writes a source of composite keys (city, zone), timestamps
// with ties, created times (some null, some after the cutoff), nulls in
// every column type, over two files of several row groups each.
func randomSource(t *testing.T, dir string, rows int) []string {
	rng := rand.New(rand.NewPCG(7, 7))
	var files []string
	for f := 0; f < 2; f++ {
		n := rows / 2
		city, zone := featurestore.NewSeries("city", transforms.String, n), featurestore.NewSeries("zone", transforms.Int64, n)
		ts, created := featurestore.NewSeries("ts", transforms.Timestamp, n), featurestore.NewSeries("created", transforms.Timestamp, n)
		x, flag := featurestore.NewSeries("x", transforms.Float64, n), featurestore.NewSeries("flag", transforms.Bool, n)
		name := featurestore.NewSeries("name", transforms.String, n)
		for i := 0; i < n; i++ {
			city.Str[i] = []string{"a", "b", "c", "d", "e"}[rng.IntN(5)]
			zone.I64[i] = rng.Int64N(4)
			ts.I64[i] = rng.Int64N(40) * int64(time.Hour) // many ties
			created.I64[i] = ts.I64[i] + rng.Int64N(3)*int64(time.Hour)
			x.F64[i], flag.Bool[i], name.Str[i] = rng.NormFloat64(), rng.IntN(2) == 0, fmt.Sprintf("r%d-%d", f, i)
			for _, s := range []*featurestore.Series{city, ts, created, x, flag, name} {
				if rng.IntN(25) == 0 {
					s.SetNull(i, n)
				}
			}
		}
		tab := &featurestore.Table{Rows: n, Series: []*featurestore.Series{city, zone, ts, created, x, flag, name}}
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

// The spilled pick and the in-memory one are the whole-source pick, row
// for row and bit for bit, whatever the number of partitions, the other
// columns fetched at once or a few rows at a time.
func TestSpillPicksAsTheWholeSourceDoes(t *testing.T) {
	dir := t.TempDir()
	files := randomSource(t, dir, 6000)
	schema, _, err := parquet.Layout(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"city", "zone", "ts", "created", "x", "flag", "name"}
	whole, _, err := parquet.ReadTable(context.Background(), files, cols)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	ec, ez := featurestore.NewSeries("city", transforms.String, n), featurestore.NewSeries("zone", transforms.Int64, n)
	event := make([]int64, n)
	for i := range event {
		ec.Str[i], ez.I64[i] = []string{"a", "b", "c", "d", "e", "f"}[rng.IntN(6)], rng.Int64N(5)
		event[i] = rng.Int64N(45) * int64(time.Hour)
		if rng.IntN(40) == 0 {
			ec.SetNull(i, n)
		}
	}
	cutoff := time.Unix(0, 30*int64(time.Hour))
	in := PickInput{Source: featurestore.Source{Name: "s", TimestampField: "ts", CreatedTimestampField: "created"}, Files: files,
		JoinKeys: []string{"city", "zone"}, Columns: cols, Reads: cols, Schema: schema, Cutoff: cutoff,
		EntityKeys: []*featurestore.Series{ec, ez}, Event: event}
	wholeSrc := asOfSource{keys: []*featurestore.Series{whole.Lookup("city"), whole.Lookup("zone")}, ts: whole.Lookup("ts"),
		created: whole.Lookup("created"), cutoff: cutoff.UnixNano(), hasCutoff: true}
	wantRows, wantTs := pickLatest(wholeSrc, asOfQueries{key: keyFuncFor(in.EntityKeys), event: event})
	stale := filepath.Join(dir, "spill-left-by-a-killed-run")
	if err := os.MkdirAll(filepath.Join(stale, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	type named struct {
		name   string
		picker Picker
	}
	pickers := []named{{"in memory", memoryPicker{}}, {"in memory, fetched 50 rows at a time", memoryPicker{fetchBytes: 50 * 27}},
		{"7 partitions, fetched 50 rows at a time", spillPicker{dir: dir, parts: 7, fetchBytes: 50 * 27}}}
	for _, parts := range []int{1, 2, 7, 64} {
		pickers = append(pickers, named{fmt.Sprintf("%d partitions", parts), spillPicker{dir: dir, parts: parts}})
	}
	for _, np := range pickers {
		name, picker := np.name, np.picker
		got, err := picker.Pick(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for i := 0; i < n; i++ {
			r, ts := wantRows[i], wantTs[i]
			if (r >= 0) != got.Found[i] || (r >= 0 && ts != got.Ts[i]) {
				t.Fatalf("%s, entity %d: found %v at %d, want row %d at %d", name, i, got.Found[i], got.Ts[i], r, ts)
			}
			if r < 0 {
				continue
			}
			found++
			for _, c := range cols {
				want, have := whole.Lookup(c), got.Table.Lookup(c)
				if fmt.Sprint(want.Value(int(r))) != fmt.Sprint(have.Value(i)) {
					t.Fatalf("%s, entity %d, %s: %v, want %v", name, i, c, have.Value(i), want.Value(int(r)))
				}
			}
		}
		if found < n/2 {
			t.Errorf("only %d of %d entity rows found a row: the test tests little", found, n)
		}
		if _, spilled := picker.(spillPicker); !spilled {
			continue
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "spill-*")); len(left) > 0 {
			t.Errorf("spill files left (a killed run's included): %v", left)
		}
	}
}

// The partition count follows the budget: one when the source fits, at
// most maxPartitions.
func TestPartitionsFor(t *testing.T) {
	schema := featurestore.Schema{{Name: "k", Type: transforms.Int64}, {Name: "ts", Type: transforms.Timestamp}, {Name: "x", Type: transforms.Float64}}
	per := parquet.BytesPerRow(schema) + indexBytesPerRow
	for _, c := range []struct {
		rows, budget int64
		want         int
	}{{1000, 1000 * per, 1}, {1000, 1000*per - 1, 3}, {1000, 100 * per, 20}, {1 << 40, 1 << 20, maxPartitions}, {1000, 0, 1},
		{3_000_000_000, 1 << 62, 3}, {maxPickRows, 1 << 62, 3}, {maxPickRows / 2, 1 << 62, 1}} {
		if got := partitionsFor(c.rows, schema, c.budget); got != c.want {
			t.Errorf("%d rows, budget %d: %d partitions, want %d", c.rows, c.budget, got, c.want)
		}
	}
}
