package reproduce_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/reproduce"
	"github.com/fs-dev/fs/trainer"
)

// trained is a demo project with a dataset materialized and a run trained
// on it, and the store opened read-only on it.
type trained struct {
	dir   string
	store *badger.Store
	run   *trainer.Run
	ds    *featurestore.Dataset
}

func train(t *testing.T) *trained {
	t.Helper()
	dir := t.TempDir()
	if err := demo.Write(dir, demo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	storeDir := filepath.Join(dir, ".fs")
	if _, err := badger.Init(storeDir); err != nil {
		t.Fatal(err)
	}
	svc := &app.Service{Store: app.Dir(storeDir)}
	ctx := context.Background()
	defs, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	if _, err := svc.Register(ctx, app.RegisterRequest{File: "features.yaml", Dir: dir, Content: string(defs)}); err != nil {
		t.Fatal(err)
	}
	ds, err := svc.Materialize(ctx, app.MaterializeRequest{Features: []string{"conv_rate", "acc_rate", "avg_daily_trips"},
		Entities: filepath.Join(dir, "orders.tsv"), Out: filepath.Join(dir, "train.parquet"),
		AsOf: app.Time{Time: time.Date(2021, 5, 1, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Train(ctx, app.TrainRequest{Dataset: ds.ID.String(),
		Request: trainer.Request{Target: "trip_completed", DropNulls: true, TestSize: 0.25, Seed: 3, Alphas: []float64{0.01}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := badger.Open(storeDir, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &trained{dir: dir, store: st, run: res.Run, ds: ds}
}

func (tr *trained) reproduce(t *testing.T, r *trainer.Run) *reproduce.Report {
	t.Helper()
	ds := *tr.ds
	rep, err := reproduce.Run(context.Background(), tr.store, r, &ds, reproduce.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAnUntouchedRunIsIdentical(t *testing.T) {
	tr := train(t)
	rep := tr.reproduce(t, tr.run)
	if !rep.Identical || !rep.SameDatasetID || !rep.SameRows || !rep.SameModel || !rep.SameMetrics || len(rep.Differences) != 0 {
		t.Errorf("%+v", rep)
	}
}

// A recorded model that differs from the refit is named coefficient by
// coefficient; recorded metrics that differ are named too.
func TestADifferentModelIsNamed(t *testing.T) {
	tr := train(t)
	r := *tr.run
	m := *r.Model.(*trainer.Fitted)
	m.Coef = append([]float64{}, m.Coef...)
	m.Coef[1] += 1e-12
	r.Model = &m
	test := *r.Test.(*trainer.Metrics)
	test.RMSE += 1
	r.Test = &test
	rep := tr.reproduce(t, &r)
	if rep.Identical || rep.SameModel || rep.SameMetrics || !rep.SameRows {
		t.Fatalf("%+v", rep)
	}
	all := strings.Join(rep.Differences, "\n")
	for _, want := range []string{"coefficient of " + r.Features[1].Name + ": recorded", "test rmse"} {
		if !strings.Contains(all, want) {
			t.Errorf("the differences do not say %q:\n%s", want, all)
		}
	}
}

// An entity file moved within the project is found by its content; one
// changed is a difference, and nothing is rebuilt.
func TestEntityFileMovedOrChanged(t *testing.T) {
	tr := train(t)
	orders := filepath.Join(tr.dir, "orders.tsv")
	moved := filepath.Join(tr.dir, "data", "orders-copy.tsv")
	os.MkdirAll(filepath.Dir(moved), 0o755)
	if err := os.Rename(orders, moved); err != nil {
		t.Fatal(err)
	}
	rep := tr.reproduce(t, tr.run)
	if !rep.Identical || len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], moved) {
		t.Errorf("moved: %+v", rep)
	}
	data, _ := os.ReadFile(moved)
	os.WriteFile(moved, append(data, data[len(data)-40:]...), 0o644)
	rep = tr.reproduce(t, tr.run)
	if rep.Identical || !rep.EntitiesChanged || rep.DatasetRebuilt != "" {
		t.Errorf("changed: %+v", rep)
	}
}

// A source whose files changed is reported file by file; the rebuilt rows
// then differ and the differing column is named.
func TestAChangedSourceIsNamed(t *testing.T) {
	tr := train(t)
	o := demo.DefaultOptions()
	o.Seed++ // other values, the same shape
	if err := demo.WriteDriverStats(filepath.Join(tr.dir, "driver_stats.parquet"), o); err != nil {
		t.Fatal(err)
	}
	rep := tr.reproduce(t, tr.run)
	if rep.Identical || rep.SameRows || len(rep.Sources) != 1 || !rep.Sources[0].Changed {
		t.Fatalf("%+v", rep)
	}
	if got := strings.Join(rep.Differences, "\n"); !strings.Contains(got, "column conv_rate differs") {
		t.Errorf("differences:\n%s", got)
	}
}
