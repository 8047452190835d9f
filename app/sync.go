package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/trainer/mlflow"
)

// SyncRequest asks to push runs to MLflow, or to give up on one.
type SyncRequest struct {
	Experiment string `json:"experiment,omitempty"` // for runs recorded without a tracking URI
	Abandon    string `json:"abandon,omitempty"`    // a run id (prefix) to give up on
}

// Sync pushes every run that is not in MLflow (MLFLOW_TRACKING_URI), or,
// with Abandon, marks that run (a sweep: with its runs) abandoned and its
// MLflow run FAILED. It returns the runs it handled. Errors: EINVALID (no
// tracking URI; MLflow refused), ELOCKED (another push is running).
func (s *Service) Sync(ctx context.Context, req SyncRequest) ([]*trainer.Run, error) {
	client, err := mlflow.FromEnv(s.getenv)
	if err != nil {
		return nil, err
	}
	if client == nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "MLFLOW_TRACKING_URI is not set").
			WithHint("export MLFLOW_TRACKING_URI=http://HOST:PORT, the MLflow server to push runs to")
	}
	if req.Abandon != "" {
		return s.abandon(ctx, client, req.Abandon)
	}
	all, err := s.Runs(ctx)
	if err != nil {
		return nil, err
	}
	todo := []*trainer.Run{}
	for i := range all {
		r := &all[i]
		if r.MLflow.State == trainer.SyncSynced || r.MLflow.State == trainer.SyncAbandoned {
			continue
		}
		if r.MLflow.Experiment == "" {
			r.MLflow.Experiment = s.experiment(req.Experiment)
		}
		todo = append(todo, r)
	}
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].Created.Before(todo[j].Created) })
	if err := s.syncRuns(ctx, client, todo, 0); err != nil {
		return nil, err
	}
	if len(todo) == 0 {
		notify(ctx, "every run is in MLflow; nothing to sync")
	}
	return todo, nil
}

// syncRuns mirrors runs to MLflow without holding the store: each step's
// progress is saved in a short write of its own, so other fs commands run
// meanwhile and an interruption loses nothing. Pushes are serialised by the
// store's sync lock. When the server cannot be reached, or deadline (if
// not zero) passes, the runs stay pending and the user is told so; other
// MLflow errors are returned.
func (s *Service) syncRuns(ctx context.Context, client *mlflow.Client, runs []*trainer.Run, deadline time.Duration) error {
	lock, err := badger.LockSync(s.Store.Dir())
	if err != nil {
		return err
	}
	defer lock.Close()
	client.Notify = func(msg string) { notify(ctx, "%s", msg) }
	push := ctx
	if deadline > 0 {
		var cancel context.CancelFunc
		push, cancel = context.WithTimeout(ctx, deadline)
		defer cancel()
	}
	tracker := &mlflow.Tracker{Client: client, User: mlflow.UserName(s.getenv), Store: s.Store.Dir()}
	save := func(r *trainer.Run) error { return s.saveRun(context.WithoutCancel(ctx), r) }
	err = trainer.SyncRuns(push, tracker, runs, s.runLoader(ctx, runs), s.modelDir, save)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return Interrupted{ctx.Err(), "the runs are recorded and stay pending; fs sync pushes them to MLflow"}
	case push.Err() != nil:
		notify(ctx, "warning: MLflow at %s did not finish within %v; the run is kept in the local store as pending", client.BaseURL, deadline)
		notify(ctx, "hint: run fs sync when the server answers; it finishes the same MLflow run")
		return nil
	case mlflow.Unreachable(err):
		notify(ctx, "warning: MLflow at %s is unreachable (%v); the run is kept in the local store as pending", client.BaseURL, err)
		notify(ctx, "hint: run fs sync when the server is back; it finishes the same MLflow run")
		return nil
	}
	return &featurestore.Error{Code: featurestore.EINVALID, Message: "MLflow refused the run", Err: err,
		Hint: "the run is recorded in the local store as pending; fix the cause on the MLflow server and run fs sync, which resumes it, or give up on it with fs sync --abandon RUN (its MLflow run is marked FAILED)"}
}

// runLoader reads a run from runs or, failing that, from the store.
func (s *Service) runLoader(ctx context.Context, runs []*trainer.Run) func(featurestore.ID) (*trainer.Run, error) {
	return func(id featurestore.ID) (*trainer.Run, error) {
		for _, r := range runs {
			if r.ID == id {
				return r, nil
			}
		}
		return s.runByID(ctx, id)
	}
}

// saveRun records a run in a write of its own, waiting up to storeWait for
// another fs process to release the store.
func (s *Service) saveRun(ctx context.Context, r *trainer.Run) error {
	deadline := time.Now().Add(storeWait)
	for {
		err := s.write(ctx, func(st Store) error { return st.RecordRun(ctx, r) })
		if featurestore.ErrorCode(err) == featurestore.ELOCKED && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		return err
	}
}

// storeWait is how long a short write waits for the store to be free.
const storeWait = 10 * time.Second

// Interrupted is an interruption with a true account of what was kept.
type Interrupted struct {
	Err  error
	Kept string
}

func (i Interrupted) Error() string { return "interrupted; " + i.Kept }
func (i Interrupted) Unwrap() error { return i.Err }

// abandon marks a run (and a sweep's runs) abandoned, failing their
// MLflow runs.
func (s *Service) abandon(ctx context.Context, client *mlflow.Client, arg string) ([]*trainer.Run, error) {
	d, err := s.Run(ctx, arg)
	if err != nil {
		return nil, err
	}
	runs := append([]*trainer.Run{d.Run}, d.Children...)
	for _, r := range runs {
		if r.MLflow.State == trainer.SyncSynced {
			continue // nothing to give up: it is in MLflow
		}
		if r.MLflow.RunID != "" {
			if err := client.EndRun(ctx, r.MLflow.RunID, "FAILED", time.Now()); err != nil {
				return nil, fmt.Errorf("mark MLflow run %s FAILED: %w", r.MLflow.RunID, err)
			}
		}
		r.MLflow.State = trainer.SyncAbandoned
		if err := s.saveRun(ctx, r); err != nil {
			return nil, err
		}
	}
	return runs, nil
}
