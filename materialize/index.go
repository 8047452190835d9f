package materialize

import (
	"cmp"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// asOfIndex finds, for a key and a time, the latest source row at or before
// that time. Rows are grouped by key; each group is sorted by (timestamp,
// created, source order), so the last row at or before a time is the one
// the tie rules choose.
type asOfIndex struct {
	intKeys map[int64]int32
	strKeys map[string]int32
	start   []int32 // group g is entries[start[g]:start[g+1]]
	entries []entry
}

// entry is a source row and its timestamp, kept together so that sorting
// and searching a group reads contiguous memory.
type entry struct {
	ts  int64
	row int32
}

// keyOf returns the key of row i as one value: an int64 or a string for
// one join key, a joined string for several.
type keyFunc func(i int) (ik int64, sk string, ok bool)

func keyFuncFor(cols []*featurestore.Series) keyFunc {
	if len(cols) == 1 && cols[0].Type == transforms.Int64 {
		c := cols[0]
		return func(i int) (int64, string, bool) { return c.I64[i], "", !c.Null(i) }
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

// buildIndex indexes the source rows that have a key and a timestamp and
// were created at or before cutoff (when created is not nil and cutoff is
// set).
func buildIndex(keys []*featurestore.Series, ts, created *featurestore.Series, cutoff int64, hasCutoff bool) *asOfIndex {
	n := ts.I64
	rows := len(n)
	key := keyFuncFor(keys)
	intKeyed := len(keys) == 1 && keys[0].Type == transforms.Int64
	idx := &asOfIndex{}
	// Number the keys: each worker takes the keys of one hash shard, so the
	// maps are built in parallel; shard s's groups follow shard s-1's.
	group := make([]int32, rows)
	shardOf := make([]uint8, rows)
	shards := min(runtime.GOMAXPROCS(0), 256)
	type shard struct {
		ints   map[int64]int32
		strs   map[string]int32
		counts []int32
	}
	parts := make([]shard, shards)
	var wg sync.WaitGroup
	for sh := 0; sh < shards; sh++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &parts[sh]
			if intKeyed {
				p.ints = make(map[int64]int32)
			} else {
				p.strs = make(map[string]int32)
			}
			for i := 0; i < rows; i++ {
				ik, sk, ok := key(i)
				var h uint64
				if intKeyed {
					h = mix(uint64(ik))
				} else {
					h = hashString(sk)
				}
				if int(h%uint64(shards)) != sh {
					continue
				}
				shardOf[i] = uint8(sh)
				group[i] = -1
				if !ok || ts.Null(i) || (hasCutoff && created != nil && !created.Null(i) && created.I64[i] > cutoff) {
					continue
				}
				var g int32
				var found bool
				if intKeyed {
					if g, found = p.ints[ik]; !found {
						g = int32(len(p.counts))
						p.ints[ik] = g
					}
				} else {
					if g, found = p.strs[sk]; !found {
						g = int32(len(p.counts))
						p.strs[sk] = g
					}
				}
				if !found {
					p.counts = append(p.counts, 0)
				}
				p.counts[g]++
				group[i] = g
			}
		}()
	}
	wg.Wait()
	// Make group numbers global.
	var counts []int32
	offsets := make([]int32, shards)
	for sh := range parts {
		offsets[sh] = int32(len(counts))
		counts = append(counts, parts[sh].counts...)
	}
	if intKeyed {
		idx.intKeys = make(map[int64]int32, len(counts))
	} else {
		idx.strKeys = make(map[string]int32, len(counts))
	}
	for sh, p := range parts {
		for k, g := range p.ints {
			idx.intKeys[k] = g + offsets[sh]
		}
		for k, g := range p.strs {
			idx.strKeys[k] = g + offsets[sh]
		}
	}
	idx.start = make([]int32, len(counts)+1)
	for g, c := range counts {
		idx.start[g+1] = idx.start[g] + c
	}
	total := idx.start[len(counts)]
	idx.entries = make([]entry, total)
	// Sort each group by (timestamp, created, row): a total order, so the
	// last row at or before a time is the one the tie rules choose. Created
	// times are only read to break ties on the timestamp.
	createdAt := func(r int32) int64 {
		if created == nil || created.Null(int(r)) {
			return math.MinInt64
		}
		return created.I64[r]
	}
	cmpEntries := func(a, b entry) int {
		if c := cmp.Compare(a.ts, b.ts); c != 0 {
			return c
		}
		if c := cmp.Compare(createdAt(a.row), createdAt(b.row)); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	}
	// Each shard's groups hold a range of entries of their own: a worker per
	// shard fills its groups' entries (rows in order) and sorts them.
	fill := slices.Clone(idx.start[:len(counts)])
	for sh := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := offsets[sh]
			for i, g := range group {
				if g >= 0 && int(shardOf[i]) == sh {
					g += off
					idx.entries[fill[g]] = entry{ts: n[i], row: int32(i)}
					fill[g]++
				}
			}
			for g := off; g < off+int32(len(parts[sh].counts)); g++ {
				sortEntries(idx.entries[idx.start[g]:idx.start[g+1]], cmpEntries)
			}
		}()
	}
	wg.Wait()
	return idx
}

// sortEntries sorts a group by cmpEntries: by timestamp with the
// comparison inlined (sortByTime), then each run of equal timestamps (rare)
// by the whole order.
func sortEntries(part []entry, cmpEntries func(a, b entry) int) {
	sorted := true
	for i := 1; i < len(part); i++ {
		if part[i].ts < part[i-1].ts {
			sorted = false
			break
		}
	}
	if !sorted {
		sortByTime(part, 2*bits.Len(uint(len(part))))
	}
	for lo := 0; lo < len(part); {
		hi := lo + 1
		for hi < len(part) && part[hi].ts == part[lo].ts {
			hi++
		}
		if hi-lo > 1 && !slices.IsSortedFunc(part[lo:hi], cmpEntries) {
			slices.SortFunc(part[lo:hi], cmpEntries)
		}
		lo = hi
	}
}

// sortByTime sorts entries by timestamp: quicksort on the median of three,
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

// lookup returns the source row chosen for the key of entity row i at time
// t, and its timestamp; -1 when there is none.
func (idx *asOfIndex) lookup(key keyFunc, i int, t int64) (int32, int64) {
	ik, sk, ok := key(i)
	if !ok {
		return -1, 0
	}
	var g int32
	if idx.intKeys != nil {
		g, ok = idx.intKeys[ik]
	} else {
		g, ok = idx.strKeys[sk]
	}
	if !ok {
		return -1, 0
	}
	// Binary search for the first entry after t.
	part := idx.entries[idx.start[g]:idx.start[g+1]]
	lo, hi := 0, len(part)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if part[m].ts > t {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == 0 {
		return -1, 0
	}
	return part[lo-1].row, part[lo-1].ts
}

// mix scrambles an integer key (splitmix64's finaliser) to pick a shard.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// hashString is FNV-1a.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// parallel splits [0, n) into one contiguous part per processor.
func parallel(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 1024 || workers == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
