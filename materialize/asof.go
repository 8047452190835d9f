package materialize

import (
	"cmp"
	"hash/maphash"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// The as-of pick starts from the entity rows (queries), not the source,
// and works on one hash bucket of keys at a time, so that what it touches
// stays in the processor's cache. The queries of a bucket are grouped by
// key and sorted by event time. The source rows are spread into the
// buckets of their keys (in source order), and each is offered to the
// first query of its key at or after its timestamp, which keeps the best
// row offered: the latest timestamp, then the latest created time, then
// the last in the source. A query's answer is the best row offered to it
// or to an earlier query of its key: a running maximum along each key's
// queries. The source is never sorted; buckets are picked in parallel.

// asOfSource is the source side of a pick: rows with a null key or
// timestamp are skipped, and with a cutoff those created after it.
type asOfSource struct {
	keys        []*featurestore.Series
	ts, created *featurestore.Series
	cutoff      int64
	hasCutoff   bool
	// ties, when set, is a source whose created times were left unread
	// (none is after the cutoff): it notes a tie on time, which they
	// would have decided (see tie).
	ties *atomic.Bool
}

// tie is later for two rows at the same time, the one the created times
// decide: when they were left unread, it notes that they were needed.
func (src asOfSource) tie(r int32, t int64, r0 int32, t0 int64) bool {
	if src.ties != nil {
		src.ties.Store(true)
	}
	return later(src.created, r, t, r0, t0)
}

func (src asOfSource) intKeyed() bool {
	return len(src.keys) == 1 && src.keys[0].Type == transforms.Int64
}

// skip reports whether source row i can never be picked.
func (src asOfSource) skip(i int) bool {
	c := src.created
	return src.ts.Null(i) || (src.hasCutoff && c != nil && !c.Null(i) && c.I64[i] > src.cutoff)
}

// asOfQueries is the entity side: the rows asked (rows, or all of event
// when rows is nil), their keys and event times.
type asOfQueries struct {
	key   keyFunc
	event []int64
	rows  []int32
}

func (q asOfQueries) len() int {
	if q.rows != nil {
		return len(q.rows)
	}
	return len(q.event)
}

// row is query k's entity row.
func (q asOfQueries) row(k int) int {
	if q.rows != nil {
		return int(q.rows[k])
	}
	return k
}

// entry is a query slot: an event time and the query it answers, kept
// together so that sorting and searching a group reads contiguous memory.
type entry struct {
	ts  int64
	row int32
}

// bucket is the queries whose keys hash to one bucket: grouped by key,
// each group sorted by time, and the best source row offered to each.
type bucket struct {
	intKeys map[int64]int32 // while the keys are numbered
	ints    intTable        // then the same, for lookups
	strKeys map[string]int32
	start   []int32 // group g is slots [start[g], start[g+1])
	times   []int64 // each slot's event time, ascending within a group
	query   []int32 // each slot's query
	best    bests
}

// bests is, per slot, the best source row offered so far (-1: none) and
// its timestamp.
type bests struct {
	row []int32
	ts  []int64
}

func newBests(n int) bests {
	b := bests{row: make([]int32, n), ts: make([]int64, n)}
	for s := range b.row {
		b.row[s] = -1
	}
	return b
}

// merge keeps, slot by slot, the later of b's row and o's, o's rows
// coming after b's in the source.
func (b bests) merge(o bests, src asOfSource) {
	for s, r := range o.row {
		if r < 0 {
			continue
		}
		if r0, t0, t := b.row[s], b.ts[s], o.ts[s]; r0 < 0 || t > t0 || t == t0 && src.tie(r, t, r0, t0) {
			b.row[s], b.ts[s] = r, t
		}
	}
}

// spread is the source rows that can be picked, by bucket of their key
// (bucket b is [at[b], at[b+1])), in source order within a bucket: their
// row, timestamp and key (an integer, or a string for other keys).
type spread struct {
	at  []int
	row []int32
	ts  []int64
	key []int64
	str []string
	of  []uint16 // while spreading: each row's bucket
}

// noBucket marks a source row that can never be picked.
const noBucket = math.MaxUint16

// pickLatest returns, for each query (in the order of q.rows, or of
// q.event), the source row fs's rules choose (-1: none) and its
// timestamp.
func pickLatest(src asOfSource, q asOfQueries) ([]int32, []int64) {
	return bucketQueries(q, src.intKeyed(), bucketsFor(q.len())).pick(src, pickWorkers(src))
}

// pickWorkers is how many workers spread a source's rows: one per
// processor, each with 64Ki rows at least.
func pickWorkers(src asOfSource) int {
	return min(runtime.GOMAXPROCS(0), len(src.ts.I64)/(64<<10)+1)
}

// bucketsFor is a power of two that puts about 4,096 queries in a bucket,
// at most 4,096 buckets.
func bucketsFor(queries int) int {
	return 1 << min(bits.Len(uint(queries/4096)), 12)
}

// bucketOf is the bucket of a key's hash among n (a power of two): its
// top bits.
func bucketOf(h uint64, n int) int {
	return int(h >> (65 - bits.Len(uint(n))))
}

func keyHash(ik int64, sk string, intKeyed bool) uint64 {
	if intKeyed {
		return mix(uint64(ik))
	}
	return hashString(sk)
}

// bucketed is a pick's queries in their buckets: what can be done before
// the source is read.
type bucketed struct {
	q        asOfQueries
	intKeyed bool // one integer join key
	buckets  []bucket
	chunk    int // source rows spread at a time
	minShare int // the fewest rows of a bucket a worker takes alone
}

// pick answers the queries from src, whose rows workers spread.
// The source is spread and offered a chunk of rows at a time, in order,
// so that what is spread is bounded by a chunk.
func (bq *bucketed) pick(src asOfSource, workers int) ([]int32, []int64) {
	nb, rows := len(bq.buckets), len(src.ts.I64)
	var sp spread // each chunk's in the memory of the one before
	for lo := 0; lo < rows; lo += bq.chunk {
		sp = spreadSource(src, bq.intKeyed, nb, workers, lo, min(lo+bq.chunk, rows), sp)
		bq.offer(src, sp, workers)
	}
	sel, selTs := make([]int32, bq.q.len()), make([]int64, bq.q.len())
	for k := range sel {
		sel[k] = -1 // a query with a null key stays so
	}
	eachOf(nb, workers, func(b int) {
		bq.buckets[b].answer(src, sel, selTs)
	})
	return sel, selTs
}

// offer offers a chunk's spread rows, each bucket's by one worker, but a
// bucket holding more than a share of the rows (a hot key) by up to
// workers, each on a part of its rows with bests of its own, merged in
// source order afterwards.
func (bq *bucketed) offer(src asOfSource, sp spread, workers int) {
	type task struct {
		b, lo, hi int
		best      bests // for a bucket's later parts
	}
	var tasks []task
	share := max(bq.minShare, sp.at[len(bq.buckets)]/(4*workers))
	for b := range bq.buckets {
		lo, hi := sp.at[b], sp.at[b+1]
		parts := min(workers, (hi-lo+share-1)/share)
		step := (hi - lo + max(parts, 1) - 1) / max(parts, 1)
		tasks = append(tasks, task{b: b, lo: lo, hi: min(lo+step, hi), best: bq.buckets[b].best})
		for p := 1; p < parts; p++ {
			tasks = append(tasks, task{b: b, lo: lo + p*step, hi: min(lo+(p+1)*step, hi), best: newBests(len(bq.buckets[b].times))})
		}
	}
	eachOf(len(tasks), workers, func(i int) {
		t := tasks[i]
		bq.buckets[t.b].offer(src, sp, t.lo, t.hi, t.best)
	})
	for i, t := range tasks {
		if i > 0 && tasks[i-1].b == t.b {
			bq.buckets[t.b].best.merge(t.best, src)
		}
	}
}

// pickChunk is the source rows spread at a time.
const pickChunk = 4 << 20

// bucketQueries puts each query with a key in its key's bucket, one of
// nb (a power of two).
func bucketQueries(q asOfQueries, intKeyed bool, nb int) *bucketed {
	n := q.len()
	of := make([]int32, n)
	at := make([]int32, nb+1)
	for k := range of {
		of[k] = -1
		if ik, sk, ok := q.key(q.row(k)); ok {
			of[k] = int32(bucketOf(keyHash(ik, sk, intKeyed), nb))
			at[of[k]+1]++
		}
	}
	for b := range nb {
		at[b+1] += at[b]
	}
	order := make([]int32, at[nb])
	ordered := orderedQueries{event: make([]int64, at[nb])}
	if intKeyed {
		ordered.key = make([]int64, at[nb])
	}
	fill := slices.Clone(at[:nb])
	for k, b := range of {
		if b >= 0 {
			order[fill[b]] = int32(k)
			ordered.put(q, k, int(fill[b]))
			fill[b]++
		}
	}
	bq := &bucketed{q: q, intKeyed: intKeyed, buckets: make([]bucket, nb), chunk: pickChunk, minShare: 64 << 10}
	eachOf(nb, runtime.GOMAXPROCS(0), func(b int) {
		bq.buckets[b] = newBucket(q, ordered.slice(int(at[b]), int(at[b+1])), order[at[b]:at[b+1]])
	})
	return bq
}

// orderedQueries is the queries' event times and, when the key is one
// integer, keys, copied in bucket order: numbering and sorting a bucket
// then reads them in sequence, not at random entity rows.
type orderedQueries struct {
	event []int64
	key   []int64 // nil: look keys up with the queries' keyFunc
}

func (o orderedQueries) put(q asOfQueries, k, at int) {
	row := q.row(k)
	o.event[at] = q.event[row]
	if o.key != nil {
		o.key[at], _, _ = q.key(row)
	}
}

func (o orderedQueries) slice(lo, hi int) orderedQueries {
	s := orderedQueries{event: o.event[lo:hi]}
	if o.key != nil {
		s.key = o.key[lo:hi]
	}
	return s
}

// newBucket groups the queries ks by key, each group sorted by time; o
// holds their times and integer keys in the same order.
func newBucket(q asOfQueries, o orderedQueries, ks []int32) bucket {
	intKeyed := o.key != nil
	bk, group, counts := groupByKey(q, o, ks)
	bk.start = make([]int32, len(counts)+1)
	for g, c := range counts {
		bk.start[g+1] = bk.start[g] + c
	}
	slots := make([]entry, len(ks))
	fill := slices.Clone(bk.start[:len(counts)])
	for j, g := range group {
		slots[fill[g]] = entry{ts: o.event[j], row: ks[j]}
		fill[g]++
	}
	for g := range counts {
		part := slots[bk.start[g]:bk.start[g+1]]
		sortByTime(part, 2*bits.Len(uint(len(part))))
	}
	bk.times, bk.query = make([]int64, len(ks)), make([]int32, len(ks))
	for i, e := range slots {
		bk.times[i], bk.query[i] = e.ts, e.row
	}
	if intKeyed {
		bk.ints, bk.intKeys = newIntTable(bk.intKeys), nil // the table answers from here on
	}
	bk.best = newBests(len(ks))
	return bk
}

// groupByKey numbers the keys of the queries ks: each query's group, and
// each group's size.
func groupByKey(q asOfQueries, o orderedQueries, ks []int32) (bk bucket, group, counts []int32) {
	intKeyed := o.key != nil
	if intKeyed {
		bk.intKeys = make(map[int64]int32)
	} else {
		bk.strKeys = make(map[string]int32)
	}
	group = make([]int32, len(ks))
	for j, k := range ks {
		var ik int64
		var sk string
		if intKeyed {
			ik = o.key[j]
		} else {
			_, sk, _ = q.key(q.row(int(k)))
		}
		g, found := bk.group(ik, sk, intKeyed)
		if !found {
			g = int32(len(counts))
			counts = append(counts, 0)
			if intKeyed {
				bk.intKeys[ik] = g
			} else {
				bk.strKeys[sk] = g
			}
		}
		counts[g]++
		group[j] = g
	}
	return bk, group, counts
}

func (bk *bucket) group(ik int64, sk string, intKeyed bool) (int32, bool) {
	if intKeyed {
		g, ok := bk.intKeys[ik]
		return g, ok
	}
	g, ok := bk.strKeys[sk]
	return g, ok
}

// spreadSource spreads the source rows [lo, hi) that can be picked into
// the buckets of their keys: workers count their contiguous ranges' rows
// per bucket, then copy them to their places, which keeps source order.
// It reuses the memory of old, a spread no longer needed: filling fresh
// memory costs a page fault per 4 KiB.
func spreadSource(src asOfSource, intKeyed bool, nb, workers, lo, hi int, old spread) spread {
	step := (hi - lo + workers - 1) / workers
	of := reuse(old.of, hi-lo)
	var strs []string // the keys, when not one integer: made once
	if !intKeyed {
		strs = make([]string, hi-lo)
	}
	counts := make([][]int, workers)
	key := keyFuncFor(src.keys)
	parallelN(workers, func(w int) {
		counts[w] = make([]int, nb)
		from, to := lo+w*step, min(lo+(w+1)*step, hi)
		if intKeyed {
			bucketIntRows(src, nb, lo, from, to, of, counts[w])
			return
		}
		for i := from; i < to; i++ {
			_, sk, ok := key(i)
			if !ok || src.skip(i) {
				of[i-lo] = noBucket
				continue
			}
			b := bucketOf(hashString(sk), nb)
			of[i-lo] = uint16(b)
			counts[w][b]++
			strs[i-lo] = sk
		}
	})
	sp, place := newSpread(counts, nb, intKeyed, old)
	sp.of = of
	parallelN(workers, func(w int) {
		at := place[w]
		for i := lo + w*step; i < min(lo+(w+1)*step, hi); i++ {
			b := of[i-lo]
			if b == noBucket {
				continue
			}
			p := at[b]
			at[b]++
			sp.row[p], sp.ts[p] = int32(i), src.ts.I64[i]
			if intKeyed {
				sp.key[p] = src.keys[0].I64[i]
			} else {
				sp.str[p] = strs[i-lo]
			}
		}
	})
	return sp
}

// bucketIntRows is spreadSource's first pass over rows [from, to) on one
// integer key, written out: of[i-lo] is row i's bucket (noBucket: skipped,
// as asOfSource.skip says), counts the rows of each bucket.
func bucketIntRows(src asOfSource, nb, lo, from, to int, of []uint16, counts []int) {
	keys, kv, tv := src.keys[0].I64, src.keys[0].Valid, src.ts.Valid
	cut := src.hasCutoff && src.created != nil
	var cv []bool
	var created []int64
	if cut {
		cv, created = src.created.Valid, src.created.I64
	}
	shift := 65 - bits.Len(uint(nb))
	for i := from; i < to; i++ {
		if (kv != nil && !kv[i]) || (tv != nil && !tv[i]) || (cut && (cv == nil || cv[i]) && created[i] > src.cutoff) {
			of[i-lo] = noBucket
			continue
		}
		b := int(mix(uint64(keys[i])) >> shift)
		of[i-lo] = uint16(b)
		counts[b]++
	}
}

// newSpread lays out the spread of the rows the workers counted by bucket:
// bucket by bucket, each worker's rows after the previous worker's. place
// is where worker w's next row of bucket b goes.
func newSpread(counts [][]int, nb int, intKeyed bool, old spread) (sp spread, place [][]int) {
	sp.at = make([]int, nb+1)
	place = make([][]int, len(counts))
	for w := range place {
		place[w] = make([]int, nb)
	}
	n := 0
	for b := range nb {
		sp.at[b] = n
		for w := range counts {
			place[w][b] = n
			n += counts[w][b]
		}
	}
	sp.at[nb] = n
	sp.row, sp.ts = reuse(old.row, n), reuse(old.ts, n)
	if intKeyed {
		sp.key = reuse(old.key, n)
	} else {
		clear(old.str) // not to keep the old keys alive
		sp.str = reuse(old.str, n)
	}
	return sp, place
}

// reuse is n elements of s's memory when it holds that many, else new
// ones; what they hold is to be overwritten.
func reuse[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// offer offers the spread source rows [lo, hi) (of the bucket's keys) to
// its queries: each to the first query of its key at or after its
// timestamp, which keeps the best in b.
func (bk *bucket) offer(src asOfSource, sp spread, lo, hi int, b bests) {
	if len(bk.times) == 0 {
		return
	}
	// The keys' groups are looked up a batch of rows at a time, apart from
	// the searches: lookups that do not wait on each other overlap.
	var groups [256]int32
	for at := lo; at < hi; at += len(groups) {
		n := min(len(groups), hi-at)
		bk.groupsOf(src, sp, at, groups[:n])
		for k, g := range groups[:n] {
			if g < 0 {
				continue
			}
			p := at + k
			r, t := sp.row[p], sp.ts[p]
			s, end := bk.start[g], bk.start[g+1]
			s = firstAtOrAfter(bk.times, s, end, t)
			if s == end {
				continue
			}
			// Rows come in source order: row r follows the one kept, and
			// wins ties of time and created time.
			if r0, t0 := b.row[s], b.ts[s]; r0 >= 0 && (t0 > t || t0 == t && src.tie(r0, t0, r, t)) {
				continue
			}
			b.row[s], b.ts[s] = r, t
		}
	}
}

// groupsOf sets groups[k] to the group of spread row at+k's key, -1 when
// none of the bucket's queries has that key.
func (bk *bucket) groupsOf(src asOfSource, sp spread, at int, groups []int32) {
	if src.intKeyed() {
		for k := range groups {
			groups[k] = bk.ints.find(sp.key[at+k])
		}
		return
	}
	for k := range groups {
		g, found := bk.strKeys[sp.str[at+k]]
		if !found {
			g = -1
		}
		groups[k] = g
	}
}

// firstAtOrAfter is the first slot of [s, end) whose time is t or later
// (times ascending there): for a few slots a count of those before t,
// else a search. Neither branches on the times, which are in no order
// from one source row to the next: a branch there would be mispredicted
// about half of the time.
func firstAtOrAfter(times []int64, s, end int32, t int64) int32 {
	if end-s <= 16 {
		return s + countBefore(times[s:end], t)
	}
	for n := end - s; n > 1; {
		half := n >> 1
		s += half * before(times[s+half-1], t)
		n -= half
	}
	if s < end {
		s += before(times[s], t)
	}
	return s
}

// countBefore is how many of times are before t.
func countBefore(times []int64, t int64) int32 {
	var k int32
	for _, x := range times {
		k += before(x, t)
	}
	return k
}

// before is 1 if x < t, else 0, as a conditional set, not a branch.
func before(x, t int64) int32 {
	var d int32
	if x < t {
		d = 1
	}
	return d
}

// answer writes each query's answer to sel and selTs: the best row
// offered to it or to an earlier query of its key.
func (bk *bucket) answer(src asOfSource, sel []int32, selTs []int64) {
	for g := range len(bk.start) - 1 {
		r, t := int32(-1), int64(0)
		for s := bk.start[g]; s < bk.start[g+1]; s++ {
			// (Slots hold rows of times apart, so a tie comes to tie only
			// if that is wrong.)
			if br, bt := bk.best.row[s], bk.best.ts[s]; br >= 0 && (r < 0 || bt > t || bt == t && src.tie(br, bt, r, t)) {
				r, t = br, bt
			}
			k := bk.query[s]
			sel[k], selTs[k] = r, t
		}
	}
}

// intTable maps integer keys to groups as a map does, faster: open
// addressing with linear probing, at most half full, each key beside its
// group.
type intTable struct {
	slots []intSlot
	mask  uint64
}

type intSlot struct {
	key   int64
	group int32 // the group + 1; 0: an empty slot
}

func newIntTable(m map[int64]int32) intTable {
	t := intTable{slots: make([]intSlot, 1<<bits.Len(uint(2*len(m))))}
	t.mask = uint64(len(t.slots) - 1)
	for k, g := range m {
		i := mix(uint64(k)) & t.mask
		for t.slots[i].group != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = intSlot{key: k, group: g + 1}
	}
	return t
}

// find is k's group, -1 if none.
func (t *intTable) find(k int64) int32 {
	for i := mix(uint64(k)) & t.mask; ; i = (i + 1) & t.mask {
		sl := t.slots[i]
		if sl.group == 0 || sl.key == k {
			return sl.group - 1
		}
	}
}

// createdAt is row r's created time; a null or no created time is the
// earliest.
func createdAt(created *featurestore.Series, r int32) int64 {
	if created == nil || created.Null(int(r)) {
		return math.MinInt64
	}
	return created.I64[r]
}

// later reports whether row r at t comes after row r0 at t0 in the tie
// order: timestamp, created time, place in the source; a row (>= 0)
// comes after none (-1).
func later(created *featurestore.Series, r int32, t int64, r0 int32, t0 int64) bool {
	switch {
	case r < 0 || r0 < 0:
		return r >= 0
	case t != t0:
		return t > t0
	}
	if c, c0 := createdAt(created, r), createdAt(created, r0); c != c0 {
		return c > c0
	}
	return r > r0
}

// eachOf calls fn for 0..n-1, on up to workers goroutines.
func eachOf(n, workers int, fn func(i int)) {
	var next atomic.Int64
	parallelN(min(workers, n), func(int) {
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			fn(i)
		}
	})
}

// parallelN runs fn(0..n-1) at once and waits for them.
func parallelN(n int, fn func(w int)) {
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w)
		}()
	}
	wg.Wait()
}

// keyOf returns the key of row i as one value: an int64 or a string for
// one join key, a joined string for several.
type keyFunc func(i int) (ik int64, sk string, ok bool)

func keyFuncFor(cols []*featurestore.Series) keyFunc {
	if len(cols) == 1 && cols[0].Type == transforms.Int64 {
		c := cols[0]
		return func(i int) (int64, string, bool) { return c.I64[i], "", !c.Null(i) }
	}
	if len(cols) == 1 { // a string: itself, not a copy
		c := cols[0]
		return func(i int) (int64, string, bool) { return 0, c.Str[i], !c.Null(i) }
	}
	return func(i int) (int64, string, bool) {
		var b []byte
		for j, c := range cols {
			if c.Null(i) {
				return 0, "", false
			}
			if j > 0 {
				b = append(b, 0)
			}
			switch c.Type {
			case transforms.Int64:
				b = appendInt(b, c.I64[i])
			default:
				b = append(b, c.Str[i]...)
			}
		}
		return 0, string(b), true
	}
}

func appendInt(b []byte, v int64) []byte {
	var tmp [20]byte
	n := len(tmp)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	for {
		n--
		tmp[n] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		n--
		tmp[n] = '-'
	}
	return append(b, tmp[n:]...)
}

// sortByTime sorts entries by time: quicksort on the median of three,
// insertion sort below 12 entries, heapsort past depth (as introsort).
func sortByTime(a []entry, depth int) {
	for len(a) > 12 {
		if depth == 0 {
			slices.SortFunc(a, func(x, y entry) int { return cmp.Compare(x.ts, y.ts) })
			return
		}
		depth--
		m := len(a) / 2
		if a[m].ts < a[0].ts {
			a[m], a[0] = a[0], a[m]
		}
		if a[len(a)-1].ts < a[0].ts {
			a[len(a)-1], a[0] = a[0], a[len(a)-1]
		}
		if a[len(a)-1].ts < a[m].ts {
			a[len(a)-1], a[m] = a[m], a[len(a)-1]
		}
		pivot := a[m].ts
		i, j := 0, len(a)-1
		for i <= j {
			for a[i].ts < pivot {
				i++
			}
			for a[j].ts > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		if j+1 < len(a)-i { // recurse into the smaller side
			sortByTime(a[:j+1], depth)
			a = a[i:]
		} else {
			sortByTime(a[i:], depth)
			a = a[:j+1]
		}
	}
	for i := 1; i < len(a); i++ {
		for k := i; k > 0 && a[k].ts < a[k-1].ts; k-- {
			a[k], a[k-1] = a[k-1], a[k]
		}
	}
}

// mix scrambles an integer key (splitmix64's finaliser) to pick a shard.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// hashString is the runtime's string hash (AES-based where the processor
// has it), seeded once per process: where a key lands changes from run to
// run, what is picked does not.
func hashString(s string) uint64 { return maphash.String(keySeed, s) }

var keySeed = maphash.MakeSeed()
