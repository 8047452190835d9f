package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/transforms"
)

// lineageFixture is a store with 10,000 feature versions (1,000 features x
// 10 versions), 1,000 datasets of 10 features each and 10,000 runs (10 per
// dataset), recorded through the store's own methods.
func lineageFixture(b *testing.B) (*badger.Store, []featurestore.ID, []featurestore.ID) {
	b.Helper()
	s, err := badger.NewInMemory()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	src := featurestore.Source{Name: "s", Path: "/d/s.parquet", Entity: "e", TimestampField: "ts"}
	var versions []featurestore.ID
	for v := 0; v < 10; v++ {
		p := &featurestore.Plan{Time: time.Unix(int64(v), 0)}
		for f := 0; f < 1000; f++ {
			desc := fmt.Sprintf("f%d v%d", f, v)
			id := featurestore.Hash([]byte(desc))
			fv := &featurestore.FeatureVersion{ID: id, Name: fmt.Sprintf("f%04d", f), Source: src, Expr: "x", Type: transforms.Float64,
				Columns: []featurestore.Column{}, DependsOn: []featurestore.FeatureRef{}, Descriptor: desc}
			p.Features = append(p.Features, featurestore.FeatureChange{Version: fv, Name: fv.Name, ID: id})
			versions = append(versions, id)
		}
		if err := s.Apply(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	var runs []featurestore.ID
	for d := 0; d < 1000; d++ {
		ds := &featurestore.Dataset{Entities: featurestore.EntityFile{Digest: "e"}, Output: "/d/out.parquet",
			Sources: []featurestore.SourceSnapshot{{Name: "s", Path: "/d/s.parquet", Digest: fmt.Sprintf("snap%d", d%50)}}}
		for k := 0; k < 10; k++ {
			v := versions[(d*37+k*101)%len(versions)]
			ds.Features = append(ds.Features, featurestore.FeatureRef{Name: fmt.Sprintf("x%d", k), Version: v})
		}
		ds.ID = featurestore.Hash([]byte(featurestore.DatasetDescriptor(ds) + fmt.Sprint(d)))
		if err := s.RecordDataset(ctx, ds); err != nil {
			b.Fatal(err)
		}
		for r := 0; r < 10; r++ {
			run := &trainer.Run{ID: featurestore.Hash([]byte(fmt.Sprintf("run %d %d", d, r))), Dataset: trainer.DatasetRef{ID: ds.ID.String(), FS: true},
				Features: ds.Features, Target: "y", Model: &trainer.Fitted{Coef: make([]float64, 10)}}
			if d%100 == 0 && r == 0 {
				run.MLflow = trainer.MLflowRef{RegisterModel: "m", ModelVersion: fmt.Sprint(d / 100), RunID: "x"}
			}
			if err := s.RecordRun(ctx, run); err != nil {
				b.Fatal(err)
			}
			runs = append(runs, run.ID)
		}
	}
	return s, versions, runs
}

// BenchmarkLineageUpstream walks a run's upstream (run, dataset, 10
// feature versions, a snapshot), reading every node.
func BenchmarkLineageUpstream(b *testing.B) {
	s, _, runs := lineageFixture(b)
	defer s.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := badgerStore{s}.Lineage()
		trees, err := lineage.Walk(ctx, graph{g}, []lineage.NodeID{lineage.ID(lineage.Run, runs[i%len(runs)].String())}, lineage.Upstream, 10)
		g.Close()
		if err != nil || len(trees[0].Children) != 1 {
			b.Fatalf("walk: %v", err)
		}
	}
}

// BenchmarkImpact finds everything downstream of all 10 versions of a
// feature and reads every node found, as fs impact does.
func BenchmarkImpact(b *testing.B) {
	s, versions, _ := lineageFixture(b)
	defer s.Close()
	ctx := context.Background()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		f := (i * 7) % 1000
		var roots []lineage.NodeID
		for v := 0; v < 10; v++ {
			roots = append(roots, lineage.ID(lineage.FeatureVersion, versions[v*1000+f].String()))
		}
		records := badgerStore{s}.Lineage()
		g := graph{records}
		reach, err := lineage.Reach(ctx, g, roots, lineage.Downstream)
		if err != nil {
			b.Fatal(err)
		}
		for _, ids := range reach {
			for _, id := range ids {
				if _, err := g.Node(ctx, id); err != nil {
					b.Fatal(err)
				}
				total++
			}
		}
		records.Close()
	}
	b.ReportMetric(float64(total)/float64(b.N), "nodes/op")
}
