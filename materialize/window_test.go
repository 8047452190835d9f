package materialize_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/featurestore/yaml"
	"github.com/fs-dev/fs/materialize"
)

// event is a row of the random event source; nil is null.
type event struct {
	City    *string  `parquet:"city,optional"`
	Zone    *int64   `parquet:"zone,optional"`
	TS      *int64   `parquet:"ts,optional,timestamp(microsecond:utc)"`
	Created *int64   `parquet:"created,optional,timestamp(microsecond:utc)"`
	Fare    *float64 `parquet:"fare,optional"`
	N       *int64   `parquet:"n,optional"`
	Name    *string  `parquet:"name,optional"`
	Flag    *bool    `parquet:"flag,optional"`
}

// placed is an event with its place in the source.
type placed struct {
	event
	file, row int
}

func ptr[T any](v T) *T { return &v }

const hour = int64(time.Hour / time.Microsecond)

// randomEvents writes files of random events under dir, several row
// groups each: ties on the hour, duplicates, nulls everywhere, created
// times after the cutoff, values of every scale (sums that cancel).
func randomEvents(t *testing.T, rng *rand.Rand, dir string, files, rows int) []placed {
	var all []placed
	cities := []string{"a", "b", "c", "d"}
	for f := range files {
		var evs []event
		for range rows {
			e := event{Zone: ptr(rng.Int64N(3))}
			if rng.IntN(30) != 0 {
				e.City = ptr(cities[rng.IntN(len(cities))])
			}
			if rng.IntN(40) != 0 {
				e.TS = ptr(rng.Int64N(24*20) * hour) // 20 days, hourly ties
			}
			if rng.IntN(5) != 0 && e.TS != nil {
				e.Created = ptr(*e.TS + rng.Int64N(3)*hour)
			}
			switch rng.IntN(12) {
			case 0: // null
			case 1:
				e.Fare = ptr(math.NaN())
			case 2:
				e.Fare = ptr(rng.NormFloat64() * 1e15)
			default:
				e.Fare = ptr(math.Round(rng.Float64()*4000)/100 - 5)
			}
			if rng.IntN(6) != 0 {
				e.N = ptr(rng.Int64N(7) - 2)
			}
			if rng.IntN(6) != 0 {
				e.Name = ptr(fmt.Sprintf("n%d", rng.IntN(5)))
			}
			if rng.IntN(6) != 0 {
				e.Flag = ptr(rng.IntN(2) == 0)
			}
			if len(evs) > 0 && rng.IntN(15) == 0 {
				e = evs[rng.IntN(len(evs))] // a duplicate
			}
			evs = append(evs, e)
			all = append(all, placed{e, f, len(evs) - 1})
		}
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%d.parquet", f)))
		if err != nil {
			t.Fatal(err)
		}
		w := pq.NewGenericWriter[event](out, pq.MaxRowsPerRowGroup(int64(1+rng.IntN(90))))
		if _, err := w.Write(evs); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
	return all
}

// aggCase is an aggregation of the test's definition file and how the
// oracle computes its value and filter on an event.
type aggCase struct {
	name, fn, expr, where string
	window                time.Duration
	value                 func(e event) any // nil for a count of events; a nil result is null
	pass                  func(e event) bool
}

func fare(e event) any {
	if e.Fare == nil {
		return nil
	}
	return *e.Fare
}

func intN(e event) any {
	if e.N == nil {
		return nil
	}
	return *e.N
}

func name(e event) any {
	if e.Name == nil {
		return nil
	}
	return *e.Name
}

func dearer(e event) bool { return e.Fare != nil && *e.Fare > 20 }

func flagged(e event) bool { return e.Flag != nil && *e.Flag }

func aggCases() []aggCase {
	d := 24 * time.Hour
	return []aggCase{
		{name: "count_7d", fn: "count", window: 7 * d},
		{name: "count_1h", fn: "count", window: time.Hour},
		{name: "fares_6h", fn: "count", expr: "fare", window: 6 * time.Hour, value: fare},
		{name: "dear_7d", fn: "count", where: "fare > 20", window: 7 * d, pass: dearer},
		{name: "names_2d", fn: "count_distinct", expr: "name", window: 2 * d, value: name},
		{name: "fare_kinds_2d", fn: "count_distinct", expr: "fare", window: 2 * d, value: fare},
		{name: "fare_sum_7d", fn: "sum", expr: "fare", window: 7 * d, value: fare},
		{name: "fare_sum_1d_flag", fn: "sum", expr: "fare", where: "flag", window: d, value: fare, pass: flagged},
		{name: "n_sum_3d", fn: "sum", expr: "n", window: 3 * d, value: intN},
		{name: "fare_mean_30d", fn: "mean", expr: "fare", window: 30 * d, value: fare},
		{name: "fare_min_1d", fn: "min", expr: "fare", window: d, value: fare},
		{name: "n_max_60d", fn: "max", expr: "n", window: 60 * d, value: intN},
		{name: "name_max_7d", fn: "max", expr: "name", window: 7 * d, value: name},
		{name: "fare_std_7d", fn: "stddev", expr: "fare", window: 7 * d, value: fare},
		{name: "first_fare_1d", fn: "first", expr: "fare", window: d, value: fare},
		{name: "last_name_12h", fn: "last", expr: "name", window: 12 * time.Hour, value: name},
		{name: "last_double_3d", fn: "last", expr: "double", where: "(n ?? 0) > 0", window: 3 * d,
			value: func(e event) any {
				if e.Fare == nil {
					return nil
				}
				return *e.Fare * 2
			}, pass: func(e event) bool { return e.N != nil && *e.N > 0 }},
	}
}

// definitions is the definition file: one source keyed as keys says,
// every case, a row-level feature (double) an aggregation reads, and a
// feature over two aggregations.
func definitions(keys []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "entities:\n  - name: place\n    join_keys: [%s]\nsources:\n  - name: trips\n    path: .\n    entity: place\n"+
		"    timestamp_field: ts\n    created_timestamp_field: created\nfeatures:\n"+
		"  - name: double\n    source: trips\n    expr: fare * 2.0\n"+
		"  - name: asof_fare_1d\n    source: trips\n    expr: fare\n    ttl: 24h\n"+
		"  - name: last_fare_1d\n    source: trips\n    expr: fare\n    aggregate: last\n    window: 24h\n"+
		"  - name: sum_per_count\n    source: trips\n    expr: \"count_7d > 0 ? fare_sum_7d / count_7d : nil\"\n", strings.Join(keys, ", "))
	for _, c := range aggCases() {
		fmt.Fprintf(&b, "  - name: %s\n    source: trips\n    aggregate: %s\n    window: %s\n", c.name, c.fn, c.window)
		if c.expr != "" {
			fmt.Fprintf(&b, "    expr: %s\n", c.expr)
		}
		if c.where != "" {
			fmt.Fprintf(&b, "    where: %q\n", c.where)
		}
	}
	return b.String()
}

// entity is an entity row: its keys (nil: null) and time (µs).
type entity struct {
	city *string
	zone *int64
	t    int64
}

func writeEntities(t *testing.T, rng *rand.Rand, path string, keys []string, n int) []entity {
	var b strings.Builder
	b.WriteString("event_timestamp," + strings.Join(keys, ",") + "\n")
	var out []entity
	for range n {
		e := entity{city: ptr([]string{"a", "b", "c", "d", "e"}[rng.IntN(5)]), zone: ptr(rng.Int64N(4)),
			t: rng.Int64N(24*22)*hour + rng.Int64N(2)*1e6}
		if rng.IntN(40) == 0 {
			e.city = nil
		}
		ts := time.UnixMicro(e.t).UTC().Format("2006-01-02 15:04:05")
		var cells []string
		for _, k := range keys {
			switch {
			case k == "zone":
				cells = append(cells, fmt.Sprint(*e.zone))
			case e.city == nil:
				cells = append(cells, "")
			default:
				cells = append(cells, *e.city)
			}
		}
		fmt.Fprintf(&b, "%s,%s\n", ts, strings.Join(cells, ","))
		out = append(out, e)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// candidates is the brute-force rule: the events of the entity's keys in
// [t - window, t], created by the cutoff, where the filter holds, in the
// as-of order.
func candidates(evs []placed, e entity, keys []string, c aggCase, cutoff int64) []placed {
	var out []placed
	for _, ev := range evs {
		same := true
		for _, k := range keys {
			if k == "city" {
				same = same && ev.City != nil && e.city != nil && *ev.City == *e.city
			} else {
				same = same && ev.Zone != nil && *ev.Zone == *e.zone
			}
		}
		if !same || ev.TS == nil || *ev.TS > e.t || *ev.TS < e.t-int64(c.window/time.Microsecond) {
			continue
		}
		if ev.Created != nil && *ev.Created > cutoff {
			continue
		}
		if c.pass != nil && !c.pass(ev.event) {
			continue
		}
		out = append(out, ev)
	}
	slices.SortStableFunc(out, func(a, b placed) int {
		if x := cmp.Compare(*a.TS, *b.TS); x != 0 {
			return x
		}
		switch {
		case a.Created == nil && b.Created != nil:
			return -1
		case a.Created != nil && b.Created == nil:
			return 1
		case a.Created != nil:
			if x := cmp.Compare(*a.Created, *b.Created); x != 0 {
				return x
			}
		}
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.row, b.row))
	})
	return out
}

// expected is the rule applied by hand.
func expected(c aggCase, cands []placed) any {
	var vals []any
	for _, ev := range cands {
		if c.value == nil {
			vals = append(vals, true)
			continue
		}
		v := c.value(ev.event)
		if f, ok := v.(float64); ok && math.IsNaN(f) && c.fn != "first" && c.fn != "last" {
			v = nil // missing, but first and last give the event's value as it is
		}
		if v != nil || c.fn == "first" || c.fn == "last" {
			vals = append(vals, v)
		}
	}
	switch c.fn {
	case "count":
		return int64(len(vals))
	case "count_distinct":
		seen := map[any]bool{}
		for _, v := range vals {
			if f, ok := v.(float64); ok {
				v = f + 0 // -0 is 0
			}
			seen[v] = true
		}
		return int64(len(seen))
	case "first", "last":
		if len(vals) == 0 {
			return nil
		}
		if c.fn == "first" {
			return vals[0]
		}
		return vals[len(vals)-1]
	}
	if len(vals) == 0 {
		return nil
	}
	switch c.fn {
	case "sum", "mean":
		s := fsum(vals)
		if c.fn == "mean" {
			s /= float64(len(vals))
		}
		return s
	case "min", "max":
		best := vals[0]
		for _, v := range vals[1:] {
			if less(v, best) == (c.fn == "min") && v != best {
				best = v
			}
		}
		return best
	case "stddev":
		if len(vals) < 2 {
			return nil
		}
		m := fsum(vals) / float64(len(vals))
		var ss float64
		for _, v := range vals {
			d := num(v) - m
			ss += d * d
		}
		return math.Sqrt(ss / float64(len(vals)-1))
	}
	panic(c.fn)
}

func num(v any) float64 {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v.(float64)
}

func less(a, b any) bool {
	switch x := a.(type) {
	case string:
		return x < b.(string)
	case int64:
		return x < b.(int64)
	}
	return a.(float64) < b.(float64)
}

// fsum is Python's math.fsum: the exact sum, rounded once.
func fsum(vals []any) float64 {
	acc := new(big.Float).SetPrec(4200)
	for _, v := range vals {
		acc.Add(acc, new(big.Float).SetPrec(4200).SetFloat64(num(v)))
	}
	f, _ := acc.Float64()
	return f
}

// TestAggregationsAreTheRule: every aggregate function over random events
// (integer, text and composite keys) equals the rule applied by brute
// force: bit for bit, but for stddev (1e-12 relative), in memory and
// spilled.
func TestAggregationsAreTheRule(t *testing.T) {
	for _, keys := range [][]string{{"zone"}, {"city"}, {"city", "zone"}} {
		t.Run(strings.Join(keys, "+"), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(len(keys)), 11))
			dir := t.TempDir()
			evs := randomEvents(t, rng, dir, 3, 500)
			reg, err := badger.NewInMemory()
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			defs, err := yaml.Parse("features.yaml", dir, []byte(definitions(keys)))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := featurestore.PlanRegister(context.Background(), defs, parquet.SchemaReader{}, reg, dir, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := reg.Apply(context.Background(), plan); err != nil {
				t.Fatal(err)
			}
			entFile := filepath.Join(t.TempDir(), "entities.csv")
			ents := writeEntities(t, rng, entFile, keys, 700)
			cutoff := 15 * 24 * hour
			var names []string
			for _, c := range aggCases() {
				names = append(names, c.name)
			}
			names = append(names, "sum_per_count", "asof_fare_1d", "last_fare_1d")
			for _, o := range []struct {
				name string
				opt  materialize.Options
			}{{"in memory", materialize.Options{}}, {"spilled at 4 KiB", materialize.Options{MemoryLimit: 4 << 10, SpillDir: t.TempDir()}},
				{"spilled at 64 KiB", materialize.Options{MemoryLimit: 64 << 10, SpillDir: t.TempDir()}}} {
				var said []string
				o.opt.Notify = func(line string) { said = append(said, line) }
				table := compute(t, reg, names, entFile, cutoff*1000, o.opt)
				if spilled := slices.ContainsFunc(said, func(l string) bool { return strings.Contains(l, "spilling it to") }); spilled != (o.opt.MemoryLimit > 0) {
					t.Fatalf("%s: spilled %v: %q", o.name, spilled, said)
				}
				checkAgainstRule(t, o.name, table, evs, ents, keys, cutoff)
			}
		})
	}
}

func compute(t *testing.T, reg featurestore.Registry, names []string, entities string, cutoff int64, opt materialize.Options) *featurestore.Table {
	t.Helper()
	job, err := materialize.Resolve(context.Background(), reg, materialize.Request{Features: names, Entities: entities,
		AsOf: time.Unix(0, cutoff).UTC(), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	table, _, err := job.Compute(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func checkAgainstRule(t *testing.T, how string, table *featurestore.Table, evs []placed, ents []entity, keys []string, cutoff int64) {
	t.Helper()
	found := 0
	for _, c := range aggCases() {
		col := table.Lookup(c.name)
		for i, e := range ents {
			want := expected(c, candidates(evs, e, keys, c, cutoff))
			got := col.Value(i)
			if tm, ok := got.(time.Time); ok {
				got = tm.UnixNano()
			}
			if i, ok := got.(int); ok {
				got = int64(i)
			}
			if !same(c.fn, got, want) {
				t.Fatalf("%s, %s, entity row %d (%+v): %v, want %v", how, c.name, i, e, got, want)
			}
			if want != nil && want != int64(0) {
				found++
			}
		}
	}
	if found < len(aggCases())*len(ents)/3 {
		t.Errorf("%s: only %d values found: the test tests little", how, found)
	}
	asOf, last := table.Lookup("asof_fare_1d"), table.Lookup("last_fare_1d")
	for i := range ents {
		if !same("last", last.Value(i), asOf.Value(i)) {
			t.Fatalf("%s: entity row %d: last over 1d %v, the as-of feature with ttl 1d %v", how, i, last.Value(i), asOf.Value(i))
		}
	}
	sum, count, per := table.Lookup("fare_sum_7d"), table.Lookup("count_7d"), table.Lookup("sum_per_count")
	for i := range ents {
		if count.I64[i] > 0 && !sum.Null(i) && per.F64[i] != sum.F64[i]/float64(count.I64[i]) {
			t.Fatalf("%s: sum_per_count row %d: %v, want %v", how, i, per.F64[i], sum.F64[i]/float64(count.I64[i]))
		}
	}
}

func same(fn string, got, want any) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	if fn == "stddev" {
		g, w := got.(float64), want.(float64)
		return math.Abs(g-w) <= 1e-12*math.Abs(w)
	}
	if g, ok := got.(float64); ok {
		return math.Float64bits(g) == math.Float64bits(num(want)) || (math.IsNaN(g) && math.IsNaN(num(want)))
	}
	return got == want
}
