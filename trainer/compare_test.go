package trainer

import (
	"slices"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

func TestGroupSweepsPutsRunsUnderTheirSweep(t *testing.T) {
	id := func(s string) featurestore.ID { return featurestore.Hash([]byte(s)) }
	at := func(h int) time.Time { return time.Unix(int64(h)*3600, 0) }
	sweep, lost := id("sweep"), id("a sweep never recorded")
	runs := []Run{
		{ID: id("old"), Created: at(1)},
		{ID: id("child a"), Parent: &sweep, Created: at(2)},
		{ID: sweep, Children: []featurestore.ID{id("child a"), id("child b")}, Created: at(2)},
		{ID: id("child b"), Parent: &sweep, Created: at(2)},
		{ID: id("orphan"), Parent: &lost, Created: at(5)},
		{ID: id("new"), Created: at(4)},
	}
	var got []string
	for _, r := range GroupSweeps(runs) {
		got = append(got, r.ID.String())
	}
	want := []string{id("new").String(), sweep.String(), id("child a").String(), id("child b").String(), id("old").String(), id("orphan").String()}
	if !slices.Equal(got, want) {
		t.Errorf("order:\n got %v\nwant %v", got, want)
	}
}

func TestCompareAcrossEstimators(t *testing.T) {
	reg := &Run{ID: featurestore.Hash([]byte("r")), Estimator: "elastic_net", Target: "y", Params: &ElasticNet{Alpha: 0.5, L1Ratio: 0.1},
		Train: &Metrics{RMSE: 1}, Test: &Metrics{RMSE: 2, R2: 0.5}, Features: []featurestore.FeatureRef{{Name: "a", Version: featurestore.Hash([]byte("a1"))}}}
	clf := &Run{ID: featurestore.Hash([]byte("c")), Estimator: "logistic_regression", Target: "y", Params: &Logistic{C: 2, L1Ratio: 0.1},
		Train: &ClassMetrics{LogLoss: 0.4}, Test: &ClassMetrics{LogLoss: 0.6}, Features: []featurestore.FeatureRef{{Name: "b"}}}
	rows := map[string]ComparisonRow{}
	for _, r := range Compare([]*Run{reg, clf}).Rows {
		rows[r.Kind+" "+r.Name] = r
	}
	for name, want := range map[string][]string{
		"param task": {"regression", "classification"}, "param alpha": {"0.5", "-"}, "param C": {"-", "2"},
		"param l1_ratio": {"0.1", "0.1"}, "feature a": {featurestore.Hash([]byte("a1")).Short(), "-"}, "feature b": {"-", "(no version)"},
		"metric test_rmse": {"2", "-"}, "metric test_log_loss": {"-", "0.6"}, "metric train_rmse": {"1", "-"},
	} {
		if got := rows[name]; !slices.Equal(got.Values, want) {
			t.Errorf("%s: %v, want %v", name, got.Values, want)
		}
	}
	if !rows["param task"].Differ || rows["param l1_ratio"].Differ {
		t.Errorf("differ: task %v, l1_ratio %v", rows["param task"].Differ, rows["param l1_ratio"].Differ)
	}
	if _, ok := rows["param task"]; !ok {
		t.Error("no task row for a mix of tasks")
	}
	if only := Compare([]*Run{reg, reg}); slices.ContainsFunc(only.Rows, func(r ComparisonRow) bool { return r.Name == "task" }) {
		t.Error("a task row for regressions only")
	}
}
