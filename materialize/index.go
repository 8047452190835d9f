package materialize

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sort"
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
	start   []int32 // group g is rows[start[g]:start[g+1]]
	rows    []int32 // source row numbers
	ts      []int64 // timestamp of rows[i]
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
	if intKeyed {
		idx.intKeys = make(map[int64]int32)
	} else {
		idx.strKeys = make(map[string]int32)
	}
	group := make([]int32, rows)
	var counts []int32
	for i := 0; i < rows; i++ {
		group[i] = -1
		if ts.Null(i) {
			continue
		}
		if hasCutoff && created != nil && !created.Null(i) && created.I64[i] > cutoff {
			continue
		}
		ik, sk, ok := key(i)
		if !ok {
			continue
		}
		var g int32
		var found bool
		if intKeyed {
			g, found = idx.intKeys[ik]
			if !found {
				g = int32(len(counts))
				idx.intKeys[ik] = g
			}
		} else {
			g, found = idx.strKeys[sk]
			if !found {
				g = int32(len(counts))
				idx.strKeys[sk] = g
			}
		}
		if !found {
			counts = append(counts, 0)
		}
		counts[g]++
		group[i] = g
	}
	idx.start = make([]int32, len(counts)+1)
	for g, c := range counts {
		idx.start[g+1] = idx.start[g] + c
	}
	total := idx.start[len(counts)]
	idx.rows = make([]int32, total)
	fill := slices.Clone(idx.start[:len(counts)])
	for i, g := range group {
		if g >= 0 {
			idx.rows[fill[g]] = int32(i)
			fill[g]++
		}
	}
	createdAt := func(r int32) int64 {
		if created == nil || created.Null(int(r)) {
			return math.MinInt64
		}
		return created.I64[r]
	}
	// Sort each group by (timestamp, created, row); rows are already in
	// source order, so a stable sort on (timestamp, created) suffices.
	parallel(len(counts), func(lo, hi int) {
		for g := lo; g < hi; g++ {
			part := idx.rows[idx.start[g]:idx.start[g+1]]
			sorted := slices.IsSortedFunc(part, func(a, b int32) int {
				return cmp.Or(cmp.Compare(n[a], n[b]), cmp.Compare(createdAt(a), createdAt(b)))
			})
			if !sorted {
				slices.SortStableFunc(part, func(a, b int32) int {
					return cmp.Or(cmp.Compare(n[a], n[b]), cmp.Compare(createdAt(a), createdAt(b)))
				})
			}
		}
	})
	idx.ts = make([]int64, total)
	for i, r := range idx.rows {
		idx.ts[i] = n[r]
	}
	return idx
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
	lo, hi := int(idx.start[g]), int(idx.start[g+1])
	ts := idx.ts[lo:hi]
	p := sort.Search(len(ts), func(j int) bool { return ts[j] > t })
	if p == 0 {
		return -1, 0
	}
	return idx.rows[lo+p-1], ts[p-1]
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
