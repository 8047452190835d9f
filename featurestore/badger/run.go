package badger

import (
	"context"
	"fmt"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/trainer"
)

var _ trainer.RunStore = (*Store)(nil)

// RecordRun writes a run and its input edges (dataset -> run, feature
// version -> run) in one transaction.
func (s *Store) RecordRun(ctx context.Context, r *trainer.Run) error {
	return s.RecordRuns(ctx, []*trainer.Run{r})
}

// RecordRuns writes runs (a sweep and its children) and their edges in
// one transaction: all of them or none.
func (s *Store) RecordRuns(ctx context.Context, runs []*trainer.Run) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(func(txn *badgerdb.Txn) error {
		for _, r := range runs {
			if err := s.recordRun(txn, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) recordRun(txn *badgerdb.Txn, r *trainer.Run) error {
	hex := r.ID.String()
	var prev trainer.Run
	err := getJSON(txn, "run/"+hex, &prev)
	switch {
	case err == nil:
		r.Created = prev.Created
		if r.MLflow.RunID == "" && prev.MLflow.RunID != "" {
			r.MLflow = prev.MLflow
		}
	case featurestore.ErrorCode(err) != featurestore.ENOTFOUND:
		return err
	}
	if err := setJSON(txn, "run/"+hex, s.mapRun(*r, s.storedPath)); err != nil {
		return err
	}
	node := lineage.ID(lineage.Run, hex)
	if err := setEdge(txn, lineage.ID(lineage.Dataset, r.Dataset.ID), node); err != nil {
		return err
	}
	if r.Parent != nil {
		if err := setEdge(txn, node, lineage.ID(lineage.Run, r.Parent.String())); err != nil {
			return err
		}
	}
	if m := r.MLflow; m.ModelVersion != "" {
		key := m.RegisterModel + "/" + m.ModelVersion
		rec := lineage.RegisteredModel{Name: m.RegisterModel, Version: m.ModelVersion, Run: hex, MLflowRunID: m.RunID}
		if err := setJSON(txn, "mv/"+key, rec); err != nil {
			return err
		}
		if err := setEdge(txn, node, lineage.ID(lineage.ModelVersion, key)); err != nil {
			return err
		}
	}
	return nil
}

// Run implements trainer.RunStore.
func (s *Store) Run(ctx context.Context, id featurestore.ID) (*trainer.Run, error) {
	var r trainer.Run
	err := s.view(func(txn *badgerdb.Txn) error { return getJSON(txn, "run/"+id.String(), &r) })
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, notFound("run", id.Short(), "fs runs list shows the runs")
	}
	if err != nil {
		return nil, fmt.Errorf("read run %s: %w", id.Short(), err)
	}
	r = s.mapRun(r, s.loadedPath)
	return &r, nil
}

// ResolveRun implements trainer.RunStore.
func (s *Store) ResolveRun(ctx context.Context, prefix string) (featurestore.ID, error) {
	return s.resolve("run/", "run", prefix)
}

// Runs implements trainer.RunStore.
func (s *Store) Runs(ctx context.Context) ([]trainer.Run, error) {
	out, err := list[trainer.Run](s, "run/", false)
	for i := range out {
		out[i] = s.mapRun(out[i], s.loadedPath)
	}
	return out, err
}
