package badger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/trainer"
)

func openStore(t *testing.T) (*badger.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	if _, err := badger.Init(dir); err != nil {
		t.Fatal(err)
	}
	s, err := badger.Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// sweep makes a sweep of n runs, each over features features.
func sweep(n, features int) []*trainer.Run {
	var refs []featurestore.FeatureRef
	var coef []float64
	for i := 0; i < features; i++ {
		refs = append(refs, featurestore.FeatureRef{Name: fmt.Sprintf("feature_%05d", i), Version: featurestore.Hash([]byte(fmt.Sprint(i)))})
		coef = append(coef, float64(i)/7)
	}
	ds := trainer.DatasetRef{ID: featurestore.Hash([]byte("dataset")).String(), FS: false}
	parent := &trainer.Run{ID: featurestore.Hash([]byte("sweep")), Dataset: ds, Features: refs, Target: "y"}
	runs := []*trainer.Run{parent}
	for i := 0; i < n; i++ {
		id := featurestore.Hash([]byte(fmt.Sprint("run", i)))
		r := &trainer.Run{ID: id, Dataset: ds, Features: refs, Target: "y", Parent: &parent.ID,
			Model: &trainer.Fitted{Coef: coef}}
		parent.Children = append(parent.Children, id)
		runs = append(runs, r)
	}
	return runs
}

// TestLargeSweepsAreRecorded: a sweep of 2,000 runs, and one of 10 runs on
// 3,000 features each, are each more than one transaction holds; both are
// recorded whole, and every run is seen.
func TestLargeSweepsAreRecorded(t *testing.T) {
	for _, c := range []struct{ runs, features int }{{2000, 1}, {10, 3000}} {
		t.Run(fmt.Sprintf("%d runs of %d features", c.runs, c.features), func(t *testing.T) {
			s, _ := openStore(t)
			runs := sweep(c.runs, c.features)
			if err := s.RecordRuns(context.Background(), runs); err != nil {
				t.Fatal(err)
			}
			got, err := s.Runs(context.Background())
			if err != nil || len(got) != c.runs+1 {
				t.Fatalf("Runs = %d runs, %v; want %d", len(got), err, c.runs+1)
			}
			if r, err := s.Run(context.Background(), runs[c.runs].ID); err != nil || len(r.Features) != c.features {
				t.Fatalf("Run(last) = %v", err)
			}
		})
	}
}

// TestPartialSweepIsALeftover: the runs of a sweep whose own record was
// never written (a kill between the transactions of a large sweep) are
// seen by no reader, reported by Verify as leftovers with the model
// directories of runs never recorded, and removed by Clean.
func TestPartialSweepIsALeftover(t *testing.T) {
	s, dir := openStore(t)
	ctx := context.Background()
	runs := sweep(3, 2)
	if err := s.RecordRuns(ctx, runs[1:]); err != nil { // the children only
		t.Fatal(err)
	}
	whole := sweep(1, 2)
	whole[0].ID, whole[1].ID = featurestore.Hash([]byte("other sweep")), featurestore.Hash([]byte("other run"))
	whole[1].Parent, whole[0].Children = &whole[0].ID, []featurestore.ID{whole[1].ID}
	if err := s.RecordRuns(ctx, whole); err != nil {
		t.Fatal(err)
	}
	for _, r := range append(runs, whole[1]) {
		os.MkdirAll(filepath.Join(badger.ModelsDir(dir), r.ID.String()), 0o755)
		os.WriteFile(filepath.Join(badger.ModelsDir(dir), r.ID.String(), "MLmodel"), nil, 0o644)
	}
	got, _ := s.Runs(ctx)
	if len(got) != 2 {
		t.Fatalf("Runs = %d, want the whole sweep's 2", len(got))
	}
	if _, err := s.Run(ctx, runs[1].ID); featurestore.ErrorCode(err) != featurestore.ENOTFOUND {
		t.Fatalf("Run(a partial sweep's run) = %v, want ENOTFOUND", err)
	}
	g := s.Lineage()
	outs, _ := g.Outputs(ctx, lineage.ID(lineage.Dataset, runs[1].Dataset.ID))
	g.Close()
	for _, o := range outs {
		if o != lineage.ID(lineage.Run, whole[0].ID.String()) && o != lineage.ID(lineage.Run, whole[1].ID.String()) {
			t.Fatalf("the dataset's outputs = %v, want only the whole sweep and its run", outs)
		}
	}
	rep := &badger.Report{Checked: map[string]int{}}
	if err := s.Verify(ctx, rep); err != nil || len(rep.Problems) != 0 {
		t.Fatalf("Verify: %v, problems %v", err, rep.Problems)
	}
	if len(rep.Leftovers) != 7 { // 3 runs, 4 model directories (the sweep's and its runs')
		t.Fatalf("leftovers = %q, want 3 runs and 4 models", rep.Leftovers)
	}
	removed, err := s.Clean(ctx)
	if err != nil || len(removed) != 7 {
		t.Fatalf("Clean = %q, %v", removed, err)
	}
	rep = &badger.Report{Checked: map[string]int{}}
	if err := s.Verify(ctx, rep); err != nil || len(rep.Problems)+len(rep.Leftovers) != 0 {
		t.Fatalf("after Clean: %v, %v, %v", err, rep.Problems, rep.Leftovers)
	}
	entries, _ := os.ReadDir(badger.ModelsDir(dir))
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), whole[1].ID.String()[:8]) {
		t.Fatalf("models left: %v", entries)
	}
}

// TestRegistrationLimit: a registration of MaxFeaturesPerRegistration
// features is recorded in one transaction; one of far more is refused
// naming the limit, and changes nothing.
func TestRegistrationLimit(t *testing.T) {
	plan := func(n int) *featurestore.Plan {
		src := featurestore.Source{Name: "s", Path: "/data/s.parquet", Entity: "e", TimestampField: "ts"}
		sv := featurestore.NewSourceVersion(src, featurestore.Entity{Name: "e", JoinKeys: []string{"k"}}, "/data")
		p := &featurestore.Plan{File: "f.yaml", Sources: []featurestore.SourceChange{{Version: sv, Source: src, Name: "s", ID: sv.ID, Status: featurestore.StatusNew}}}
		for i := 0; i < n; i++ {
			desc := featurestore.FeatureDescriptor(fmt.Sprintf("(x * %d)", i), "float64", 0, sv.ID, nil, nil)
			v := &featurestore.FeatureVersion{ID: featurestore.Hash([]byte(desc)), Name: fmt.Sprintf("f%05d", i), Source: src,
				SourceVersion: sv.ID, Descriptor: desc, Columns: []featurestore.Column{}, DependsOn: []featurestore.FeatureRef{}}
			p.Features = append(p.Features, featurestore.FeatureChange{Version: v, Name: v.Name, ID: v.ID, Status: featurestore.StatusNew})
		}
		return p
	}
	s, _ := openStore(t)
	ctx := context.Background()
	if err := s.Apply(ctx, plan(badger.MaxFeaturesPerRegistration)); err != nil {
		t.Fatalf("%d features: %v", badger.MaxFeaturesPerRegistration, err)
	}
	err := s.Apply(ctx, plan(3*badger.MaxFeaturesPerRegistration))
	if featurestore.ErrorCode(err) != featurestore.EINVALID || !strings.Contains(err.Error(), "about 20000 features") {
		t.Fatalf("%d features: %v", 3*badger.MaxFeaturesPerRegistration, err)
	}
	heads, _ := s.FeatureHeads(ctx)
	if len(heads) != badger.MaxFeaturesPerRegistration {
		t.Fatalf("%d names after the refused registration", len(heads))
	}
}
