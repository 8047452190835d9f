package profile

import (
	"fmt"
	"testing"
)

// The summary of entity counts, from memory or from partition files: how
// many, the smallest, the median (of an odd and an even number) and the
// largest count, ties going to the smallest key (as text).
func TestEntitySummary(t *testing.T) {
	for _, limit := range []int{1 << 30, 2} {
		for _, c := range []struct {
			ints   []int64
			strs   []string
			n, min int
			median float64
			max    int
			maxKey string
		}{
			{ints: []int64{5, 5, 5, 12, 12, 12, 7}, n: 3, min: 1, median: 3, max: 3, maxKey: "12"}, // "12" < "5"
			{ints: []int64{1, 1, 2, 2, 2, 3, 4}, n: 4, min: 1, median: 1.5, max: 3, maxKey: "2"},
			{strs: []string{"b", "a", "b", "a", "<nil>"}, n: 3, min: 1, median: 2, max: 2, maxKey: "a"},
			{},
		} {
			e := newEntityCounts(limit, t.TempDir())
			for _, k := range c.ints {
				e.addInt(k)
			}
			for _, k := range c.strs {
				e.addString(k)
			}
			s, err := e.summary()
			got := fmt.Sprint(s.n, s.min, s.median, s.max, s.maxKey)
			if want := fmt.Sprint(c.n, c.min, c.median, c.max, c.maxKey); err != nil || got != want {
				t.Errorf("limit %d, %v %v: %s (%v), want %s", limit, c.ints, c.strs, got, err, want)
			}
		}
	}
}
