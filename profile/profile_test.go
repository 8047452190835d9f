package profile

import (
	"testing"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

func TestQuantileIsNumpyLinear(t *testing.T) {
	v := []float64{1, 2, 3, 4}
	for q, want := range map[float64]float64{0: 1, 0.25: 1.75, 0.5: 2.5, 0.99: 3.97, 1: 4} {
		if got := quantile(v, q); got < want-1e-12 || got > want+1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestColumnStatsEdgeCases(t *testing.T) {
	s := featurestore.NewSeries("x", transforms.Float64, 4)
	copy(s.F64, []float64{2, 2, 2, 2})
	s.SetNull(3, 4)
	c := columnStats(s, 10)
	if c.Count != 3 || c.Nulls != 1 || c.Distinct != 1 || *c.Std != 0 || c.Outliers != 0 || c.Histogram.Counts[0] != 3 {
		t.Errorf("constant column: %+v", c)
	}
	one := featurestore.NewSeries("y", transforms.Int64, 1)
	if c := columnStats(one, 10); c.Std != nil || *c.Mean != 0 || c.Zeros != 1 {
		t.Errorf("one row: %+v", c)
	}
	empty := featurestore.NewSeries("z", transforms.String, 2)
	empty.SetNull(0, 2)
	empty.SetNull(1, 2)
	if c := columnStats(empty, 10); c.Count != 0 || c.NullShare != 1 || c.Distinct != 0 {
		t.Errorf("all null: %+v", c)
	}
}

func TestWarningsAreRanked(t *testing.T) {
	one := 0.99
	p := &Profile{Rows: 100, Columns: []*Column{{Name: "a", Nulls: 12, NullShare: 0.12, Count: 88, Distinct: 5}},
		Corr:  &Matrix{Names: []string{"a", "b"}, Values: [][]*float64{{nil, &one}, {&one, nil}}},
		Table: Table{DuplicateRows: 2, EntityColumns: []string{"driver"}, Entities: 3, RowsPerEntityMax: 363, RowsPerEntityMed: 361, MaxEntity: "1003"}}
	w := warnings(p, Options{})
	var msgs []string
	for _, x := range w {
		msgs = append(msgs, x.Message)
	}
	want := []string{"2 duplicate rows", "a and b are 0.99 correlated", "a: 12% nulls (12 of 100 rows)", "driver 1003 has 363 rows, others 361"}
	if len(msgs) != len(want) {
		t.Fatalf("warnings %q, want %q", msgs, want)
	}
	for i := range want {
		if msgs[i] != want[i] {
			t.Errorf("warning %d = %q, want %q", i, msgs[i], want[i])
		}
	}
}
