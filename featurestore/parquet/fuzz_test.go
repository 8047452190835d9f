package parquet_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/internal/bounded"
	"github.com/fs-dev/fs/internal/membudget"
)

// fuzzMemoryLimit is the memory limit the fuzz target reads under, and
// fuzzAllocBound the most reading one input through every path (four
// passes) may allocate: per pass twice the memory limit (the table, and
// what a decoder holds) and four pages of the largest size fs decodes,
// plus 64 MiB. A damaged length or count must not make the reader allocate
// what it says beyond that.
const (
	fuzzMemoryLimit = 32 << 20
	fuzzAllocBound  = 4*(2*fuzzMemoryLimit+4*parquet.MaxPageSize) + 64<<20
)

type fuzzRow struct {
	ID    int64    `parquet:"id"`
	TS    int64    `parquet:"ts,timestamp(microsecond:utc)"`
	Day   int32    `parquet:"day,date"`
	Name  string   `parquet:"name,dict"`
	Maybe *float64 `parquet:"maybe,optional"`
	U     uint32   `parquet:"u"`
	Flag  bool     `parquet:"flag"`
}

func fuzzSeeds(f *testing.F) {
	var rows []fuzzRow
	for i := 0; i < 300; i++ {
		v := float64(i) / 7
		r := fuzzRow{ID: int64(i % 17), TS: time.Date(2021, 4, 1, i, 0, 0, 0, time.UTC).UnixMicro(), Day: int32(18700 + i),
			Name: []string{"a", "bb", "ccc"}[i%3], U: uint32(i) * 15_000_000, Flag: i%2 == 0}
		if i%5 != 0 {
			r.Maybe = &v
		}
		rows = append(rows, r)
	}
	for _, opts := range [][]pq.WriterOption{
		{pq.MaxRowsPerRowGroup(100), pq.PageBufferSize(512)},
		{pq.DefaultEncoding(&pq.RLEDictionary), pq.Compression(&pq.Zstd)},
		{pq.Compression(&pq.Snappy), pq.DataPageVersion(1)},
	} {
		b, err := os.ReadFile(writeRows(f, rows, opts...))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	o := demo.DefaultOptions()
	o.Hours = 24
	if err := demo.WriteDriverStats(filepath.Join(dir, "d.parquet"), o); err != nil {
		f.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "d.parquet"))
	f.Add(b)
}

// FuzzReadParquet reads mutated parquet files through every reader path:
// the schema, the parallel table read, the read of some rows and the
// row-group scan. An error is
// fine; a panic, a hang or an allocation past fuzzAllocBound is not.
func FuzzReadParquet(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "in.parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		bounded.Run(t, fmt.Sprintf("reading a %d-byte file", len(data)), 10*time.Second, fuzzAllocBound, func() { readEverything(path) })
	})
}

func readEverything(path string) {
	schema, err := parquet.FileSchema(path)
	if err != nil {
		return
	}
	var names []string
	for _, c := range schema {
		if c.Type != "" {
			names = append(names, c.Name)
		}
	}
	ctx := membudget.WithBudget(context.Background(), membudget.Of(fuzzMemoryLimit))
	parquet.ReadTable(ctx, []string{path}, names)
	if _, rows, err := parquet.Layout(context.Background(), []string{path}); err == nil {
		var some []int64 // every third row, at most 10,000
		for r := int64(0); r < rows && len(some) < 10_000; r += 3 {
			some = append(some, r)
		}
		parquet.ReadRows(ctx, []string{path}, names, some)
	}
	parquet.ScanRowGroups(ctx, []string{path}, names, func(*featurestore.Table) error { return nil })
	parquet.FileMetadata(path)
}
