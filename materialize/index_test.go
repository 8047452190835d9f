package materialize

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// BenchmarkBuildIndex indexes the materialize benchmark's source shape:
// 10M rows over 100k integer keys, random times, created times.
func BenchmarkBuildIndex(b *testing.B) {
	const n = 10_000_000
	rng := rand.New(rand.NewPCG(1, 1))
	key, ts, created := featurestore.NewSeries("k", transforms.Int64, n), featurestore.NewSeries("ts", transforms.Timestamp, n),
		featurestore.NewSeries("c", transforms.Timestamp, n)
	for i := 0; i < n; i++ {
		key.I64[i], ts.I64[i] = rng.Int64N(100_000), rng.Int64N(90*86400*1e9)
		created.I64[i] = ts.I64[i] + rng.Int64N(3600*1e9)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buildIndex([]*featurestore.Series{key}, ts, created, 1<<62, true)
	}
}

// sortEntries orders a group as the whole order does, whatever the sizes
// and however many timestamps tie.
func TestSortEntriesIsTheTotalOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	created := make([]int64, 1000)
	for i := range created {
		created[i] = rng.Int64N(5)
	}
	cmpEntries := func(a, b entry) int {
		if a.ts != b.ts {
			return cmp.Compare(a.ts, b.ts)
		}
		if c := cmp.Compare(created[a.row], created[b.row]); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	}
	for trial := 0; trial < 3000; trial++ {
		n := rng.IntN(300)
		span := int64(1 + rng.IntN(1000)) // small spans: many ties
		part := make([]entry, n)
		for i, r := range rng.Perm(n) {
			part[i] = entry{ts: rng.Int64N(span), row: int32(r)}
		}
		if trial%7 == 0 { // already sorted, or reversed
			slices.SortFunc(part, cmpEntries)
			if trial%2 == 0 {
				slices.Reverse(part)
			}
		}
		want := slices.Clone(part)
		slices.SortFunc(want, cmpEntries)
		sortEntries(part, cmpEntries)
		if !slices.Equal(part, want) {
			t.Fatalf("n=%d span=%d: %v, want %v", n, span, part, want)
		}
	}
}
