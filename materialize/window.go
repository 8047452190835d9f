package materialize

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// A windowed group computes aggregations over a source's events. Its
// candidate events (a key and a time, created by the cutoff) are
// numbered by key and sorted once, per key, in fs's as-of order (time,
// created time with null first, place in the source); the entity rows
// are grouped by key and sorted by time. Then, key by key, each
// aggregation slides its window over the events: an event enters when
// the entity time reaches it and leaves when it falls out of the window,
// and an accumulator that can take values out again (an exact sum, a
// monotonic queue, counts) answers at each entity row. Keys are
// independent, so they are shared out among the processors, and the
// answers depend on nothing but the data.

// events are a windowed group's candidate events, by key.
type events struct {
	table *featurestore.Table
	// keyStart: key k's events are order[keyStart[k]:keyStart[k+1]].
	keyStart []int32
	order    []int32 // table rows
	ts       []int64 // ts[i] is the time of order[i]
	keys     keyNumbers
}

// keyNumbers numbers the keys: integers within a small range by a table,
// others by maps.
type keyNumbers struct {
	dense    []int32 // key - lo's number, -1 for none; nil: maps
	lo       int64
	ints     map[int64]int32
	strs     map[string]int32
	intKeyed bool
	n        int32
}

// newKeyNumbers prepares the numbering of keys col (a table of numbers
// when one integer key spans at most four times the rows' count).
func newKeyNumbers(keyCols []*featurestore.Series, rows int) keyNumbers {
	kn := keyNumbers{ints: map[int64]int32{}, strs: map[string]int32{},
		intKeyed: len(keyCols) == 1 && keyCols[0].Type == transforms.Int64}
	if !kn.intKeyed {
		return kn
	}
	c := keyCols[0]
	lo, hi, any := int64(math.MaxInt64), int64(math.MinInt64), false
	for r := range rows {
		if !c.Null(r) {
			lo, hi, any = min(lo, c.I64[r]), max(hi, c.I64[r]), true
		}
	}
	if any && uint64(hi-lo) < uint64(4*rows+1024) {
		kn.lo, kn.dense = lo, make([]int32, hi-lo+1)
		for i := range kn.dense {
			kn.dense[i] = -1
		}
	}
	return kn
}

// number is the key's number, a new one for a key not seen.
func (kn *keyNumbers) number(ik int64, sk string) int32 {
	var at *int32
	switch {
	case kn.dense != nil:
		at = &kn.dense[ik-kn.lo]
		if *at >= 0 {
			return *at
		}
	case kn.intKeyed:
		if k, ok := kn.ints[ik]; ok {
			return k
		}
	default:
		if k, ok := kn.strs[sk]; ok {
			return k
		}
	}
	k := kn.n
	kn.n++
	switch {
	case at != nil:
		*at = k
	case kn.intKeyed:
		kn.ints[ik] = k
	default:
		kn.strs[sk] = k
	}
	return k
}

// lookup is a key's number, -1 for a key no event has.
func (kn *keyNumbers) lookup(ik int64, sk string) int32 {
	switch {
	case kn.dense != nil:
		if ik < kn.lo || ik-kn.lo >= int64(len(kn.dense)) {
			return -1
		}
		return kn.dense[ik-kn.lo]
	case kn.intKeyed:
		if k, ok := kn.ints[ik]; ok {
			return k
		}
	default:
		if k, ok := kn.strs[sk]; ok {
			return k
		}
	}
	return -1
}

// eventRec is an event's place in the sort: its time, its created time
// (math.MinInt64 for null: first) and its row.
type eventRec struct {
	ts, created int64
	row         int32
}

// newEvents numbers the events' keys and sorts each key's events in the
// as-of order: time, then created time (null first), then place in the
// source. The columns are read in row order and each event's record
// written into its key's place, so that sorting reads no column.
func newEvents(t *featurestore.Table, src featurestore.Source, joinKeys []string, cutoff int64, hasCutoff bool) *events {
	var keyCols []*featurestore.Series
	for _, k := range joinKeys {
		keyCols = append(keyCols, t.Lookup(k))
	}
	key := keyFuncFor(keyCols)
	ts, created := t.Lookup(src.TimestampField), t.Lookup(src.CreatedTimestampField)
	ev := &events{table: t, keys: newKeyNumbers(keyCols, t.Rows)}
	keyOf := make([]int32, t.Rows)
	var counts []int32
	for r := range t.Rows {
		ik, sk, ok := key(r)
		if !ok || ts.Null(r) || (hasCutoff && created != nil && !created.Null(r) && created.I64[r] > cutoff) {
			keyOf[r] = -1
			continue
		}
		k := ev.keys.number(ik, sk)
		if int(k) == len(counts) {
			counts = append(counts, 0)
		}
		keyOf[r] = k
		counts[k]++
	}
	ev.keyStart = make([]int32, len(counts)+1)
	for k, n := range counts {
		ev.keyStart[k+1] = ev.keyStart[k] + n
	}
	recs := make([]eventRec, ev.keyStart[len(counts)])
	fill := slices.Clone(ev.keyStart[:len(counts)])
	for r, k := range keyOf {
		if k < 0 {
			continue
		}
		c := int64(math.MinInt64)
		if created != nil && !created.Null(r) {
			c = created.I64[r]
		}
		recs[fill[k]] = eventRec{ts.I64[r], c, int32(r)}
		fill[k]++
	}
	eachOf(len(counts), runtime.GOMAXPROCS(0), func(k int) {
		slices.SortFunc(recs[ev.keyStart[k]:ev.keyStart[k+1]], func(a, b eventRec) int {
			return cmp.Or(cmp.Compare(a.ts, b.ts), cmp.Compare(a.created, b.created), cmp.Compare(a.row, b.row))
		})
	})
	ev.order, ev.ts = make([]int32, len(recs)), make([]int64, len(recs))
	for i, r := range recs {
		ev.order[i], ev.ts[i] = r.row, r.ts
	}
	return ev
}

// queries are the entity rows by key: key k's rows are
// rows[start[k]:start[k+1]], sorted by event time (then row).
type queries struct {
	start []int32
	rows  []int32
	event []int64
}

// newQueries groups the entity rows by the events' key numbers; rows
// whose key no event has are left out.
func newQueries(ev *events, keyCols []*featurestore.Series, event []int64) *queries {
	key := keyFuncFor(keyCols)
	keys := len(ev.keyStart) - 1
	keyOf := make([]int32, len(event))
	counts := make([]int32, keys)
	for i := range event {
		keyOf[i] = -1
		if ik, sk, ok := key(i); ok {
			if k := ev.keys.lookup(ik, sk); k >= 0 {
				keyOf[i] = k
				counts[k]++
			}
		}
	}
	q := &queries{start: make([]int32, keys+1), event: event}
	for k, n := range counts {
		q.start[k+1] = q.start[k] + n
	}
	q.rows = make([]int32, q.start[keys])
	fill := slices.Clone(q.start[:keys])
	for i, k := range keyOf {
		if k >= 0 {
			q.rows[fill[k]] = int32(i)
			fill[k]++
		}
	}
	eachOf(keys, runtime.GOMAXPROCS(0), func(k int) {
		rows := q.rows[q.start[k]:q.start[k+1]]
		slices.SortStableFunc(rows, func(a, b int32) int { return cmp.Compare(event[a], event[b]) })
	})
	return q
}

// window is one aggregation to compute: its function, window, the events
// it takes and their values. The accumulators read events by their place
// in the sorted order (sequentially, as the window slides): take[i] says
// whether the i-th event is taken (where holds and, but for count of
// events and first/last, the value is not null or NaN), num[i] is its
// value for numeric values, row[i] its row in the table for the others.
type window struct {
	v      *featurestore.FeatureVersion
	span   int64
	take   []bool
	num    []float64
	row    []int32
	values *featurestore.Series // by table row; nil for a count of events
	out    *featurestore.Series // one value per entity row
	noRow  []bool               // per entity row: no event taken in the window
}

// slide computes the windows for key k's entity rows, with acc the
// window's accumulator (this worker's).
func (w *window) slide(ev *events, q *queries, k int, acc accumulator) {
	lo, hi := int(ev.keyStart[k]), int(ev.keyStart[k])
	end := int(ev.keyStart[k+1])
	taken := 0
	acc.reset()
	for _, e := range q.rows[q.start[k]:q.start[k+1]] {
		t := q.event[e]
		for hi < end && ev.ts[hi] <= t {
			if w.take[hi] {
				acc.add(int32(hi))
				taken++
			}
			hi++
		}
		from := t - w.span
		if t < math.MinInt64+w.span {
			from = math.MinInt64
		}
		for lo < hi && ev.ts[lo] < from {
			if w.take[lo] {
				acc.remove(int32(lo))
				taken--
			}
			lo++
		}
		w.noRow[e] = taken == 0
		acc.result(int(e), lo, hi)
	}
}

// compute slides every window over every key, the keys shared out among
// the processors, each with accumulators of its own.
func computeWindows(ctx context.Context, ev *events, q *queries, ws []*window) error {
	keys := len(ev.keyStart) - 1
	return blocks(ctx, keys, func(lo, hi int, _ *evaluator) error {
		accs := make([]accumulator, len(ws))
		for i, w := range ws {
			accs[i] = newAccumulator(w)
		}
		for k := lo; k < hi; k++ {
			for i, w := range ws {
				w.slide(ev, q, k, accs[i])
			}
		}
		return nil
	}, nil)
}

// placedValues are a values column in the events' sorted order: numbers
// as floats, and whether each is there (not null, not NaN).
type placedValues struct {
	num   []float64
	there []bool
}

// placeValues reads values (by table row) in the sorted order, once for
// every window that aggregates them.
func placeValues(ev *events, values *featurestore.Series) *placedValues {
	pv := &placedValues{there: make([]bool, len(ev.order))}
	numeric := values.Type == transforms.Float64 || values.Type == transforms.Int64
	if numeric {
		pv.num = make([]float64, len(ev.order))
	}
	for i, r := range ev.order {
		pv.there[i] = !values.Null(int(r))
		switch values.Type {
		case transforms.Float64:
			v := values.F64[r]
			pv.num[i], pv.there[i] = v, pv.there[i] && !math.IsNaN(v)
		case transforms.Int64:
			pv.num[i] = float64(values.I64[r])
		}
	}
	return pv
}

// place lays the window's events out in the sorted order: which it
// takes (where holds, pass nil: no filter, and, for the functions of
// values, the value is there) and their values (pv, nil for a count of
// events).
func (w *window) place(ev *events, pass []bool, pv *placedValues) {
	fn := w.v.Aggregation.Function
	w.row = ev.order
	w.take = make([]bool, len(ev.order))
	needValue := pv != nil && fn != featurestore.AggFirst && fn != featurestore.AggLast
	if pv != nil {
		w.num = pv.num
	}
	for i, r := range ev.order {
		w.take[i] = (pass == nil || pass[r]) && (!needValue || pv.there[i])
	}
}

// windowOutput is the empty output of aggregation v over n entity rows:
// counts are 0 for rows no event reaches, the others null.
func windowOutput(v *featurestore.FeatureVersion, n int) *featurestore.Series {
	s := featurestore.NewSeries(v.Name, v.Type, n)
	s.Valid = make([]bool, n)
	if fn := v.Aggregation.Function; fn == featurestore.AggCount || fn == featurestore.AggCountDistinct {
		for i := range s.Valid {
			s.Valid[i] = true
		}
	}
	return s
}

// checkWindowValues refuses values an aggregation cannot take (a type
// the registry would not have allowed: the data changed under it).
func checkWindowValues(v *featurestore.FeatureVersion, values *featurestore.Series) error {
	if values == nil {
		return nil
	}
	if _, ok := featurestore.AggregateType(v.Aggregation.Function, values.Type); !ok {
		return fmt.Errorf("feature %s@%s: %s does not take %s values", v.Name, v.ID.Short(), v.Aggregation.Function, values.Type)
	}
	return nil
}
