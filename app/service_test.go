package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/trainer"
)

// trainedProject is the demo registered, materialized and trained on (a
// sweep of two), through the service.
func trainedProject(t *testing.T) (*app.Service, *app.TrainResult) {
	t.Helper()
	dir, opener := project(t)
	svc := &app.Service{Store: opener.dir}
	ctx := context.Background()
	defs, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	if _, err := svc.Register(ctx, app.RegisterRequest{File: "features.yaml", Dir: dir, Content: string(defs)}); err != nil {
		t.Fatal(err)
	}
	ds, err := svc.Materialize(ctx, app.MaterializeRequest{Features: []string{"conv_rate", "acc_rate"},
		Entities: filepath.Join(dir, "orders.tsv"), Out: filepath.Join(dir, "train.parquet"),
		AsOf: app.Time{Time: time.Date(2021, 5, 1, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Train(ctx, app.TrainRequest{Dataset: ds.ID.Short(),
		Request: trainer.Request{Target: "trip_completed", DropNulls: true, TestSize: 0.25, Alphas: []float64{0.01, 0.1}}})
	if err != nil {
		t.Fatal(err)
	}
	return svc, res
}

// TestLineageDescribesEveryKind: a run's upstream walk reaches its
// dataset, the feature versions, the source snapshot and the source
// version, each described from its record.
func TestLineageDescribesEveryKind(t *testing.T) {
	svc, res := trainedProject(t)
	trees, err := svc.Lineage(context.Background(), app.LineageRequest{ID: res.Run.ID.String(), Direction: lineage.Upstream, Depth: 10})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[lineage.Kind]map[string]string{}
	var walk func(tr *lineage.Tree)
	walk = func(tr *lineage.Tree) {
		if _, ok := attrs[tr.Node.Kind]; !ok {
			attrs[tr.Node.Kind] = tr.Node.Attrs
		}
		for _, c := range tr.Children {
			walk(c)
		}
	}
	walk(trees[0])
	for kind, attr := range map[lineage.Kind]string{lineage.Run: "test_rmse", lineage.Dataset: "file",
		lineage.FeatureVersion: "expr", lineage.Snapshot: "files", lineage.Source: "path"} {
		if _, ok := attrs[kind][attr]; !ok {
			t.Errorf("%s: no %s among %v", kind, attr, attrs[kind])
		}
	}
	if got := attrs[lineage.Dataset]["file"]; got != "train.parquet" {
		t.Errorf("the dataset's file: %q", got)
	}
}

// TestImpactOfASource: what changing the source would affect: every
// feature read from it, the dataset, the sweep's runs, the sweep.
func TestImpactOfASource(t *testing.T) {
	svc, _ := trainedProject(t)
	imp, err := svc.Impact(context.Background(), "source:driver_stats")
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Roots) != 1 || len(imp.Datasets) != 1 || len(imp.Runs) != 2 || len(imp.Sweeps) != 1 {
		t.Errorf("roots %d datasets %d runs %d sweeps %d", len(imp.Roots), len(imp.Datasets), len(imp.Runs), len(imp.Sweeps))
	}
	if _, err := svc.Impact(context.Background(), "source:nope"); featurestore.ErrorCode(err) != featurestore.ENOTFOUND {
		t.Errorf("an unknown source: %v", err)
	}
}

// TestCompareAndRuns: the sweep is listed with its runs under it, and two
// runs compare by their swept parameter.
func TestCompareAndRuns(t *testing.T) {
	svc, res := trainedProject(t)
	runs, err := svc.Runs(context.Background())
	if err != nil || len(runs) != 3 || runs[0].ID != res.Sweep.ID || runs[1].Parent == nil {
		t.Fatalf("runs: %v %d", err, len(runs))
	}
	cmp, err := svc.Compare(context.Background(), []string{res.Runs[0].ID.Short(), res.Runs[1].ID.Short()})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range cmp.Rows {
		if row.Name == "alpha" && (!row.Differ || row.Values[0] != "0.01") {
			t.Errorf("alpha row %+v", row)
		}
		if row.Kind == "feature" && row.Differ {
			t.Errorf("the runs read the same versions, but %s differs", row.Name)
		}
	}
}

// TestRequestsRefusedBeforeRunning: a request's own check refuses it as a
// usage error (the command line's exit 2), before any work.
func TestRequestsRefusedBeforeRunning(t *testing.T) {
	svc, res := trainedProject(t)
	ctx := context.Background()
	_, err := svc.Train(ctx, app.TrainRequest{Dataset: res.Run.Dataset.ID, Request: trainer.Request{Target: "trip_completed", Cs: []float64{1}}})
	if featurestore.ErrorCode(err) != featurestore.EUSAGE || !strings.Contains(err.Error(), "--c does not apply") {
		t.Errorf("train: %v", err)
	}
	if _, err := svc.Materialize(ctx, app.MaterializeRequest{Features: []string{"conv_rate"}, Out: "x.parquet"}); featurestore.ErrorCode(err) != featurestore.EUSAGE {
		t.Errorf("materialize without entities: %v", err)
	}
}

// TestInitAndDoctor: init creates once; a fresh store is whole.
func TestInitAndDoctor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".fs")
	if created, err := app.Init(dir); err != nil || !created {
		t.Fatalf("init: %v %v", created, err)
	}
	if created, err := app.Init(dir); err != nil || created {
		t.Fatalf("init again: %v %v", created, err)
	}
	c, err := app.Doctor(context.Background(), dir, false)
	if err != nil || !c.OK || c.Report == nil || c.Repair != nil {
		t.Fatalf("doctor: %v %+v", err, c)
	}
}

// TestOpenServe: the working directory is no data root when it holds the
// server's own files; given roots, the outputs directory is made.
func TestOpenServe(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	store := filepath.Join(dir, ".fs")
	app.Init(store)
	secret := app.Protected{Path: filepath.Join(dir, "tokens.yaml"), What: "the server's tokens file"}
	_, _, err := app.OpenServe(app.ServeConfig{Store: store, Protected: []app.Protected{secret}})
	if err == nil || !strings.Contains(err.Error(), "cannot be the data root") {
		t.Fatalf("a working directory holding the tokens: %v", err)
	}
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	svc, shared, err := app.OpenServe(app.ServeConfig{Store: store, DataRoots: []string{data}, Protected: []app.Protected{secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	if fi, err := os.Stat(svc.Outputs); err != nil || !fi.IsDir() || svc.Outputs != store+"-outputs" {
		t.Errorf("outputs %s: %v", svc.Outputs, err)
	}
}
