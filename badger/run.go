package badger

import (
	"context"
	"errors"
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
// one transaction: all of them or none. A sweep too large for one
// transaction (thousands of runs, or runs of thousands of features) is
// written in several: its runs in as many as they need, then the sweep's
// own record in the last. Until that commits the runs are a partial sweep:
// no reader sees them (Runs, Run, the lineage graph), and fs doctor
// --repair removes them.
func (s *Store) RecordRuns(ctx context.Context, runs []*trainer.Run) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(func(txn *badgerdb.Txn) error {
		for _, r := range runs {
			if err := s.recordRun(txn, r); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, badgerdb.ErrTxnTooBig) {
		return err
	}
	var children, sweeps []*trainer.Run
	for _, r := range runs {
		if r.Parent != nil {
			children = append(children, r)
		} else {
			sweeps = append(sweeps, r)
		}
	}
	if err := s.recordBatches(ctx, children); err != nil {
		return err
	}
	return s.recordBatches(ctx, sweeps)
}

// recordBatches records runs in as few transactions as hold them, in
// order.
func (s *Store) recordBatches(ctx context.Context, runs []*trainer.Run) error {
	for len(runs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		done := 0
		err := s.update(func(txn *badgerdb.Txn) error {
			done = 0
			for _, r := range runs {
				err := s.recordRun(txn, r)
				if errors.Is(err, badgerdb.ErrTxnTooBig) && done > 0 {
					return nil // commit what fits; the rest goes next
				}
				if err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if errors.Is(err, badgerdb.ErrTxnTooBig) {
			return featurestore.Errorf(featurestore.EINVALID, "run %s alone is more than one transaction of the store can hold", runs[0].ID.Short()).
				WithHint("train on fewer features at once")
		}
		if err != nil {
			return fmt.Errorf("record runs: %w", err)
		}
		runs = runs[done:]
	}
	return nil
}

// visible reports whether a run record is one readers see: not part of a
// sweep whose own record was never written (a partial sweep).
func visible(txn *badgerdb.Txn, r *trainer.Run) (bool, error) {
	if r.Parent == nil {
		return true, nil
	}
	return exists(txn, "run/"+r.Parent.String())
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
		rec := trainer.RegisteredModel{Name: m.RegisterModel, Version: m.ModelVersion, Run: hex, MLflowRunID: m.RunID}
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
	err := s.view(func(txn *badgerdb.Txn) error {
		if err := getJSON(txn, "run/"+id.String(), &r); err != nil {
			return err
		}
		ok, err := visible(txn, &r)
		if err == nil && !ok {
			err = featurestore.Errorf(featurestore.ENOTFOUND, "run %s is part of a sweep that was not recorded whole", id.Short())
		}
		return err
	})
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

// Runs implements trainer.RunStore: every run readers see.
func (s *Store) Runs(ctx context.Context) ([]trainer.Run, error) {
	all, err := list[trainer.Run](s, "run/", false)
	if err != nil {
		return nil, err
	}
	recorded := map[featurestore.ID]bool{}
	for _, r := range all {
		recorded[r.ID] = true
	}
	out := all[:0]
	for _, r := range all {
		if r.Parent == nil || recorded[*r.Parent] {
			out = append(out, s.mapRun(r, s.loadedPath))
		}
	}
	return out, nil
}
