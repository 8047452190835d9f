package transforms

import (
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Expressions that would build huge strings or wrap integers: each is an
// error at the row (allocating no more than the limit), never a giant
// allocation, a wrapped number or the text "<nil>".
func TestGuardedOperations(t *testing.T) {
	doubling := "let a0 = name + name; "
	for i := 1; i < 40; i++ {
		doubling += "let a" + itoa(i) + " = a" + itoa(i-1) + " + a" + itoa(i-1) + "; "
	}
	doubling += "a39"
	nested := "name"
	for i := 0; i < 8; i++ {
		nested = `replace(` + nested + `, "", "` + strings.Repeat("x", 100) + `")`
	}
	cases := []struct {
		src  string
		vals map[string]any
		err  string
		want any
	}{
		{doubling, map[string]any{"name": "ab"}, "longer than", nil},
		{nested, map[string]any{"name": "abc"}, "longer than", nil},
		{`upper(name)`, map[string]any{"name": strings.Repeat("ɐ", MaxStringBytes/2)}, "longer than", nil},
		{`int(1e300 * conv_rate)`, map[string]any{"conv_rate": 0.5}, "no int64 holds it", nil},
		{`int(conv_rate)`, map[string]any{"conv_rate": math.NaN()}, "no int64 holds it", nil},
		{`avg_daily_trips * 4611686018427387904`, map[string]any{"avg_daily_trips": 4}, "integer overflow", nil},
		{`avg_daily_trips + 9223372036854775807`, map[string]any{"avg_daily_trips": 1}, "integer overflow", nil},
		{`avg_daily_trips - 9223372036854775807`, map[string]any{"avg_daily_trips": -2}, "integer overflow", nil},
		{`string(conv_rate ?? nil)`, map[string]any{"conv_rate": nil}, "", nil},
		// Unchanged meaning where nothing overflows.
		{`string(conv_rate ?? nil)`, map[string]any{"conv_rate": 0.25}, "", "0.25"},
		{`replace(name, "a", "bb")`, map[string]any{"name": "banana"}, "", "bbbnbbnbb"},
		{`int(conv_rate * 10)`, map[string]any{"conv_rate": 0.57}, "", int64(5)},
		{`avg_daily_trips * 3 - 1`, map[string]any{"avg_daily_trips": 7}, "", int64(20)},
		{`upper(name) + "!"`, map[string]any{"name": "straße"}, "", "STRAßE!"},
	}
	for _, c := range cases {
		p, err := compile(t, c.src, "")
		if err != nil {
			t.Errorf("%.60s: compile: %v", c.src, err)
			continue
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := p.NewEvaluator().Eval(c.vals)
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16*MaxStringBytes {
			t.Errorf("%.60s: allocated %d bytes", c.src, grew)
		}
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%.60s: %.60v, %v; want an error with %q", c.src, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%.60s = %#.60v, %v; want %#v", c.src, got, err, c.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
