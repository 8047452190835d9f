package materialize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// BenchmarkPickLatest picks for the materialize benchmark's shape: 10M
// source rows over 100k integer keys, random times, created times, and
// 1M entity rows.
func BenchmarkPickLatest(b *testing.B) {
	const n, queries = 10_000_000, 1_000_000
	rng := rand.New(rand.NewPCG(1, 1))
	key, ts, created := featurestore.NewSeries("k", transforms.Int64, n), featurestore.NewSeries("ts", transforms.Timestamp, n),
		featurestore.NewSeries("c", transforms.Timestamp, n)
	for i := 0; i < n; i++ {
		key.I64[i], ts.I64[i] = rng.Int64N(100_000), rng.Int64N(90*86400*1e9)
		created.I64[i] = ts.I64[i] + rng.Int64N(3600*1e9)
	}
	ek, event := featurestore.NewSeries("k", transforms.Int64, queries), make([]int64, queries)
	for i := range event {
		ek.I64[i], event[i] = rng.Int64N(100_000), rng.Int64N(90*86400*1e9)
	}
	src := asOfSource{keys: []*featurestore.Series{key}, ts: ts, created: created, cutoff: 1 << 62, hasCutoff: true}
	q := asOfQueries{key: keyFuncFor([]*featurestore.Series{ek}), event: event}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pickLatest(src, q)
	}
}

// The pick is the rule, checked row by row against every source row: on
// random sources with many ties, nulls, unknown keys, a cutoff or none,
// int and composite keys, a subset of the entity rows, the source split
// among 1 to 5 workers, 1 to 8 buckets, chunks of 1 to 400 rows and a
// bucket's rows split among workers past 1 to 60 of them.
func TestPickLatestIsTheRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	nullable := func(name string, typ transforms.Type, n int, span int64) *featurestore.Series {
		s := featurestore.NewSeries(name, typ, n)
		for i := range n {
			s.I64[i] = rng.Int64N(span)
			if rng.IntN(12) == 0 {
				s.SetNull(i, n)
			}
		}
		return s
	}
	for trial := range 2000 {
		n, queries := rng.IntN(300), 1+rng.IntN(100)
		span := 1 + rng.Int64N(50) // small spans: many ties
		id, eid := nullable("k", transforms.Int64, n, 6), nullable("k", transforms.Int64, queries, 8)
		city, ecity := featurestore.NewSeries("city", transforms.String, n), featurestore.NewSeries("city", transforms.String, queries)
		for i := range n {
			city.Str[i] = []string{"a", "b", "a1"}[rng.IntN(3)]
		}
		for i := range queries {
			ecity.Str[i] = []string{"a", "b", "a1", "c"}[rng.IntN(4)]
			if rng.IntN(12) == 0 {
				ecity.SetNull(i, queries)
			}
		}
		// An integer key, a string key, or both.
		keys, ents := [][]*featurestore.Series{{id}, {city}, {id, city}}[trial%3], [][]*featurestore.Series{{eid}, {ecity}, {eid, ecity}}[trial%3]
		src := asOfSource{keys: keys, ts: nullable("ts", transforms.Timestamp, n, span),
			created: nullable("c", transforms.Timestamp, n, 4), cutoff: rng.Int64N(5), hasCutoff: rng.IntN(2) == 0}
		if trial%5 == 0 {
			src.created = nil
		}
		q := asOfQueries{key: keyFuncFor(ents), event: make([]int64, queries)}
		for i := range q.event {
			q.event[i] = rng.Int64N(span + 2)
		}
		asked := queries
		if trial%3 == 0 {
			for i := range queries {
				if rng.IntN(2) == 0 {
					q.rows = append(q.rows, int32(i))
				}
			}
			asked = len(q.rows)
		}
		workers, buckets := 1+rng.IntN(5), 1<<rng.IntN(4)
		bq := bucketQueries(q, src.intKeyed(), buckets)
		bq.chunk, bq.minShare = 1+rng.IntN(400), 1+rng.IntN(60)
		sel, selTs := bq.pick(src, workers)
		checkDeferred(t, trial, src, q, buckets, workers, sel)
		for k := range asked {
			e := k
			if q.rows != nil {
				e = int(q.rows[k])
			}
			want := latestByScan(src, ents, e, q.event[e])
			if sel[k] != want || (want >= 0 && selTs[k] != src.ts.I64[want]) {
				t.Fatalf("trial %d (%d rows, %d workers, %d buckets, chunks of %d, shares of %d), entity row %d at %d: row %d at %d, want row %d",
					trial, n, workers, buckets, bq.chunk, bq.minShare, e, q.event[e], sel[k], selTs[k], want)
			}
		}
	}
}

// latestByScan is the rule read from the docs, on every source row: same
// key, a timestamp at or before the event, created by the cutoff; the
// latest timestamp, then the latest created time (null earliest), then
// the last row.
func latestByScan(src asOfSource, ents []*featurestore.Series, e int, at int64) int32 {
	same := func(i int) bool {
		for k, c := range src.keys {
			if c.Null(i) || ents[k].Null(e) || fmt.Sprint(c.Value(i)) != fmt.Sprint(ents[k].Value(e)) {
				return false
			}
		}
		return true
	}
	created := func(i int) int64 {
		if src.created == nil || src.created.Null(i) {
			return math.MinInt64
		}
		return src.created.I64[i]
	}
	best := -1
	for i := range src.ts.I64 {
		if !same(i) || src.ts.Null(i) || src.ts.I64[i] > at || (src.hasCutoff && src.created != nil && !src.created.Null(i) && created(i) > src.cutoff) {
			continue
		}
		if best < 0 || src.ts.I64[i] > src.ts.I64[best] || src.ts.I64[i] == src.ts.I64[best] && created(i) >= created(best) {
			best = i
		}
	}
	return int32(best)
}

// TestFirstAtOrAfter checks the slot search against sort.Search on groups
// of every size up to 40 (counted up to 16, searched above), with repeated
// times and the int64 extremes, at every offset into the slots.
func TestFirstAtOrAfter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	pool := []int64{math.MinInt64, math.MinInt64 + 1, -5, -1, 0, 1, 2, 7, math.MaxInt64 - 1, math.MaxInt64}
	for size := 0; size <= 40; size++ {
		for range 50 {
			pad := rng.IntN(3)
			times := make([]int64, pad+size+rng.IntN(3))
			for i := range times {
				times[i] = pool[rng.IntN(len(pool))]
			}
			group := times[pad : pad+size]
			slices.Sort(group)
			for _, q := range pool {
				want := int32(pad + sort.Search(size, func(i int) bool { return group[i] >= q }))
				if got := firstAtOrAfter(times, int32(pad), int32(pad+size), q); got != want {
					t.Fatalf("times %v, slots [%d, %d), t=%d: got slot %d, want %d", times, pad, pad+size, q, got, want)
				}
			}
		}
	}
}

// checkDeferred picks again from src without its created times, when no
// row is created after the cutoff (memoryPicker then leaves them unread):
// unless the pick notes a tie on time, it must pick what it picked with
// them (sel).
func checkDeferred(t *testing.T, trial int, src asOfSource, q asOfQueries, buckets, workers int, sel []int32) {
	t.Helper()
	if src.created == nil {
		return
	}
	for i, c := range src.created.I64 {
		if src.hasCutoff && !src.created.Null(i) && c > src.cutoff {
			return
		}
	}
	var ties atomic.Bool
	deferred := src
	deferred.created, deferred.ties = nil, &ties
	got, _ := bucketQueries(q, src.intKeyed(), buckets).pick(deferred, workers)
	if !ties.Load() && !slices.Equal(got, sel) {
		t.Fatalf("trial %d: without the created times the pick differs, and no tie was noted", trial)
	}
}
