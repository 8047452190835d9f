package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/badger"
	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/trainer/mlflow"
)

// experiment is the MLflow experiment: the flag, MLFLOW_EXPERIMENT_NAME,
// else Default.
func (a *app) experiment(flag string) string {
	if flag != "" {
		return flag
	}
	if e := a.st.Getenv("MLFLOW_EXPERIMENT_NAME"); e != "" {
		return e
	}
	return "Default"
}

// syncRuns mirrors runs to MLflow without holding the store: each step's
// progress is saved in a short write of its own, so other fs commands run
// meanwhile and an interruption loses nothing. Pushes are serialised by the
// store's sync lock. When the server cannot be reached, or deadline (if
// not zero) passes, the runs stay pending and the user is told so; other
// MLflow errors are returned.
func (a *app) syncRuns(ctx context.Context, client *mlflow.Client, runs []*trainer.Run, deadline time.Duration) error {
	lock, err := badger.LockSync(a.storeDir())
	if err != nil {
		return err
	}
	defer lock.Close()
	client.Notify = func(msg string) { fmt.Fprintf(a.st.Stderr, "fs: %s\n", msg) }
	push := ctx
	if deadline > 0 {
		var cancel context.CancelFunc
		push, cancel = context.WithTimeout(ctx, deadline)
		defer cancel()
	}
	tracker := &mlflow.Tracker{Client: client, User: mlflow.UserName(a.st.Getenv), Store: a.storeDir()}
	save := func(r *trainer.Run) error { return a.saveRun(context.WithoutCancel(ctx), r) }
	err = trainer.SyncRuns(push, tracker, runs, a.runLoader(ctx, runs), a.modelDir, save)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return interrupted{ctx.Err(), "the runs are recorded and stay pending; fs sync pushes them to MLflow"}
	case push.Err() != nil:
		fmt.Fprintf(a.st.Stderr, "fs: warning: MLflow at %s did not finish within %v; the run is kept in the local store as pending\n", client.BaseURL, deadline)
		fmt.Fprintf(a.st.Stderr, "fs: hint: run fs sync when the server answers; it finishes the same MLflow run\n")
		return nil
	case mlflow.Unreachable(err):
		fmt.Fprintf(a.st.Stderr, "fs: warning: MLflow at %s is unreachable (%v); the run is kept in the local store as pending\n", client.BaseURL, err)
		fmt.Fprintf(a.st.Stderr, "fs: hint: run fs sync when the server is back; it finishes the same MLflow run\n")
		return nil
	}
	return &featurestore.Error{Code: featurestore.EINVALID, Message: "MLflow refused the run", Err: err,
		Hint: "the run is recorded in the local store as pending; fix the cause on the MLflow server and run fs sync, which resumes it, or give up on it with fs sync --abandon RUN (its MLflow run is marked FAILED)"}
}

// runLoader reads a run from runs or, failing that, from the store.
func (a *app) runLoader(ctx context.Context, runs []*trainer.Run) func(featurestore.ID) (*trainer.Run, error) {
	return func(id featurestore.ID) (*trainer.Run, error) {
		for _, r := range runs {
			if r.ID == id {
				return r, nil
			}
		}
		return a.loadRunByID(ctx, id)
	}
}

func (a *app) loadRunByID(ctx context.Context, id featurestore.ID) (*trainer.Run, error) {
	store, err := a.openStore(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return store.Run(ctx, id)
}

// saveRun records a run in a write of its own, waiting up to storeWait for
// another fs process to release the store.
func (a *app) saveRun(ctx context.Context, r *trainer.Run) error {
	deadline := time.Now().Add(storeWait)
	for {
		store, err := a.openStore(false)
		if featurestore.ErrorCode(err) == featurestore.ELOCKED && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		err = store.RecordRun(ctx, r)
		if cerr := store.Close(); err == nil {
			err = cerr
		}
		return err
	}
}

// storeWait is how long a short write waits for the store to be free.
const storeWait = 10 * time.Second

// interrupted is an interruption with a true account of what was kept.
type interrupted struct {
	err  error
	kept string
}

func (i interrupted) Error() string { return "interrupted; " + i.kept }
func (i interrupted) Unwrap() error { return i.err }

func newSyncCmd(a *app) *cobra.Command {
	var experiment, abandon string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Push runs that are not in MLflow yet",
		Long: `Push to MLflow (MLFLOW_TRACKING_URI) every run that is not synced: runs recorded
while MLflow was unreachable or failing are resumed where they stopped, without
creating a second MLflow run; runs recorded without a tracking URI are created
in --experiment (default $MLFLOW_EXPERIMENT_NAME, else Default).

--abandon RUN gives up on mirroring a run (a sweep: with its runs) that MLflow
keeps refusing: its MLflow run, if it has one, is marked FAILED, and fs sync
leaves it alone from then on.

Exit codes: 0 ok (also when the server is still unreachable: the runs stay
pending), 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged, 130 interrupted.`,
		Example: "  MLFLOW_TRACKING_URI=http://127.0.0.1:5000 fs sync",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			client, err := mlflow.FromEnv(a.st.Getenv)
			if err != nil {
				return err
			}
			if client == nil {
				return featurestore.Errorf(featurestore.EINVALID, "MLFLOW_TRACKING_URI is not set").
					WithHint("export MLFLOW_TRACKING_URI=http://HOST:PORT, the MLflow server to push runs to")
			}
			if abandon != "" {
				return a.abandonRun(ctx, client, abandon, asJSON)
			}
			all, err := a.allRuns(ctx)
			if err != nil {
				return err
			}
			todo := []*trainer.Run{}
			for i := range all {
				r := &all[i]
				if r.MLflow.State == trainer.SyncSynced || r.MLflow.State == trainer.SyncAbandoned {
					continue
				}
				if r.MLflow.Experiment == "" {
					r.MLflow.Experiment = a.experiment(experiment)
				}
				todo = append(todo, r)
			}
			sort.SliceStable(todo, func(i, j int) bool { return todo[i].Created.Before(todo[j].Created) })
			if err := a.syncRuns(ctx, client, todo, 0); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, todo)
			}
			if len(todo) == 0 {
				fmt.Fprintln(a.st.Stderr, "fs: every run is in MLflow; nothing to sync")
				return nil
			}
			t := newTable(a.st.Stdout, "RUN", "STATE", "MLFLOW_RUN", "EXPERIMENT")
			for _, r := range todo {
				t.row(r.ID.Short(), r.MLflow.State, r.MLflow.RunID, r.MLflow.Experiment)
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&experiment, "experiment", "", "experiment for runs recorded without a tracking URI")
	cmd.Flags().StringVar(&abandon, "abandon", "", "give up on mirroring this run (id or prefix): its MLflow run is marked FAILED")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// abandonRun marks a run (and a sweep's runs) abandoned, failing their
// MLflow runs.
func (a *app) abandonRun(ctx context.Context, client *mlflow.Client, arg string, asJSON bool) error {
	run, err := a.loadRun(ctx, arg)
	if err != nil {
		return err
	}
	runs := []*trainer.Run{run}
	for _, c := range run.Children {
		child, err := a.loadRunByID(ctx, c)
		if err != nil {
			return err
		}
		runs = append(runs, child)
	}
	for _, r := range runs {
		if r.MLflow.State == trainer.SyncSynced {
			continue // nothing to give up: it is in MLflow
		}
		if r.MLflow.RunID != "" {
			if err := client.EndRun(ctx, r.MLflow.RunID, "FAILED", time.Now()); err != nil {
				return fmt.Errorf("mark MLflow run %s FAILED: %w", r.MLflow.RunID, err)
			}
		}
		r.MLflow.State = trainer.SyncAbandoned
		if err := a.saveRun(ctx, r); err != nil {
			return err
		}
	}
	if asJSON {
		return writeJSON(a.st.Stdout, runs)
	}
	t := newTable(a.st.Stdout, "RUN", "STATE", "MLFLOW_RUN")
	for _, r := range runs {
		t.row(r.ID.Short(), r.MLflow.State, r.MLflow.RunID)
	}
	return t.flush()
}

func (a *app) allRuns(ctx context.Context) ([]trainer.Run, error) {
	store, err := a.openStore(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return store.Runs(ctx)
}
