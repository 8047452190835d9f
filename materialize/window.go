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
	ints     map[int64]int32
	strs     map[string]int32
}

// newEvents numbers the events' keys and sorts them.
func newEvents(t *featurestore.Table, src featurestore.Source, joinKeys []string, cutoff int64, hasCutoff bool) *events {
	var keyCols []*featurestore.Series
	for _, k := range joinKeys {
		keyCols = append(keyCols, t.Lookup(k))
	}
	key := keyFuncFor(keyCols)
	ts, created := t.Lookup(src.TimestampField), t.Lookup(src.CreatedTimestampField)
	ev := &events{table: t, ints: map[int64]int32{}, strs: map[string]int32{}}
	keyOf := make([]int32, t.Rows)
	var counts []int32
	for r := range t.Rows {
		ik, sk, ok := key(r)
		if !ok || ts.Null(r) || (hasCutoff && created != nil && !created.Null(r) && created.I64[r] > cutoff) {
			keyOf[r] = -1
			continue
		}
		k := ev.number(ik, sk, keyCols)
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
	ev.order = make([]int32, ev.keyStart[len(counts)])
	fill := slices.Clone(ev.keyStart[:len(counts)])
	for r, k := range keyOf {
		if k >= 0 {
			ev.order[fill[k]] = int32(r)
			fill[k]++
		}
	}
	ev.sort(ts, created)
	return ev
}

// number is the key's number, a new one for a key not seen.
func (ev *events) number(ik int64, sk string, keyCols []*featurestore.Series) int32 {
	n := int32(len(ev.ints) + len(ev.strs))
	if len(keyCols) == 1 && keyCols[0].Type == transforms.Int64 {
		if k, ok := ev.ints[ik]; ok {
			return k
		}
		ev.ints[ik] = n
		return n
	}
	if k, ok := ev.strs[sk]; ok {
		return k
	}
	ev.strs[sk] = n
	return n
}

// lookup is an entity key's number, -1 for a key no event has.
func (ev *events) lookup(ik int64, sk string, intKeyed bool) int32 {
	var k int32
	var ok bool
	if intKeyed {
		k, ok = ev.ints[ik]
	} else {
		k, ok = ev.strs[sk]
	}
	if !ok {
		return -1
	}
	return k
}

// sort puts each key's events in the as-of order: time, then created
// time (null first), then place in the source (the order they are in).
func (ev *events) sort(ts, created *featurestore.Series) {
	keys := len(ev.keyStart) - 1
	eachOf(keys, runtime.GOMAXPROCS(0), func(k int) {
		rows := ev.order[ev.keyStart[k]:ev.keyStart[k+1]]
		slices.SortStableFunc(rows, func(a, b int32) int {
			if c := cmp.Compare(ts.I64[a], ts.I64[b]); c != 0 {
				return c
			}
			return compareCreated(created, a, b)
		})
	})
	ev.ts = make([]int64, len(ev.order))
	for i, r := range ev.order {
		ev.ts[i] = ts.I64[r]
	}
}

// compareCreated orders two rows by created time, null first (equal when
// the source has none).
func compareCreated(created *featurestore.Series, a, b int32) int {
	if created == nil {
		return 0
	}
	an, bn := created.Null(int(a)), created.Null(int(b))
	switch {
	case an && bn:
		return 0
	case an:
		return -1
	case bn:
		return 1
	}
	return cmp.Compare(created.I64[a], created.I64[b])
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
	intKeyed := len(keyCols) == 1 && keyCols[0].Type == transforms.Int64
	keys := len(ev.keyStart) - 1
	keyOf := make([]int32, len(event))
	counts := make([]int32, keys)
	for i := range event {
		keyOf[i] = -1
		if ik, sk, ok := key(i); ok {
			if k := ev.lookup(ik, sk, intKeyed); k >= 0 {
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
// it takes (take[row]: where holds and, but for count of events and
// first/last, the value is not null or NaN) and the values.
type window struct {
	v      *featurestore.FeatureVersion
	span   int64
	take   []bool
	values *featurestore.Series // nil for a count of events
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
			if r := ev.order[hi]; w.take[r] {
				acc.add(r)
				taken++
			}
			hi++
		}
		from := t - w.span
		if t < math.MinInt64+w.span {
			from = math.MinInt64
		}
		for lo < hi && ev.ts[lo] < from {
			if r := ev.order[lo]; w.take[r] {
				acc.remove(r)
				taken--
			}
			lo++
		}
		w.noRow[e] = taken == 0
		acc.result(int(e), ev.order[lo:hi])
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

// takes marks the events an aggregation takes: where holds (pass nil: no
// filter) and, for the functions of values, the value is there.
func takes(rows int, fn string, pass []bool, values *featurestore.Series) []bool {
	take := make([]bool, rows)
	for r := range take {
		take[r] = pass == nil || pass[r]
		if !take[r] || values == nil || fn == featurestore.AggFirst || fn == featurestore.AggLast {
			continue
		}
		take[r] = !values.Null(r) && !(values.Type == transforms.Float64 && math.IsNaN(values.F64[r]))
	}
	return take
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
