package trainer

import (
	"context"

	"github.com/fs-dev/fs/featurestore"
)

// SyncRuns mirrors runs to a tracker: each sweep's parent run is created
// first, then its children (tagged with the parent), then the parent's own
// data. Runs already synced are left alone. load reads a run that is not in
// runs (a sweep's parent or child); modelDir says where a run's model
// layout is; save records a run's progress. It stops at the first error,
// with everything done so far saved.
func SyncRuns(ctx context.Context, t Tracker, runs []*Run, load func(featurestore.ID) (*Run, error),
	modelDir func(featurestore.ID) string, save func(*Run) error) error {
	parents := map[featurestore.ID]*Run{}
	parentOf := func(r *Run) (*Run, error) {
		if r.Parent == nil {
			return nil, nil
		}
		if p, ok := parents[*r.Parent]; ok {
			return p, nil
		}
		p, err := load(*r.Parent)
		if err != nil {
			return nil, err
		}
		parents[p.ID] = p
		return p, nil
	}
	for _, r := range runs {
		if len(r.Children) > 0 {
			parents[r.ID] = r
		}
	}
	for _, r := range runs {
		if r.Parent != nil {
			if _, err := parentOf(r); err != nil {
				return err
			}
		}
	}
	// 1. Sweep parents get their MLflow run.
	for _, p := range parents {
		if p.MLflow.State != SyncSynced {
			if err := t.Sync(ctx, p, nil, modelDir(p.ID), save); err != nil {
				return err
			}
		}
	}
	// 2. Single runs and sweep children.
	for _, r := range runs {
		if len(r.Children) > 0 || r.MLflow.State == SyncSynced {
			continue
		}
		parent, err := parentOf(r)
		if err != nil {
			return err
		}
		if err := t.Sync(ctx, r, parent, modelDir(r.ID), save); err != nil {
			return err
		}
	}
	// 3. Parents whose children are all synced log their own data.
	for _, p := range parents {
		if p.MLflow.State == SyncSynced {
			continue
		}
		for _, c := range p.Children {
			child, err := load(c)
			if err != nil {
				return err
			}
			if child.MLflow.State == SyncSynced && !p.MLflow.HasDone("child:"+c.String()) {
				p.MLflow.Done = append(p.MLflow.Done, "child:"+c.String())
			}
		}
		if err := save(p); err != nil {
			return err
		}
		if err := t.Sync(ctx, p, nil, modelDir(p.ID), save); err != nil {
			return err
		}
	}
	return nil
}
