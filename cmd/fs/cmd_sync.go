package main

import (
	"context"
	"fmt"
	"sort"

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

// syncRuns mirrors runs to MLflow, saving progress in the store. When the
// server cannot be reached the runs stay pending and the user is told so;
// other MLflow errors are returned.
func (a *app) syncRuns(ctx context.Context, store *badger.Store, client *mlflow.Client, runs []*trainer.Run) error {
	tracker := &mlflow.Tracker{Client: client, User: mlflow.UserName(a.st.Getenv), Store: store.Dir()}
	load := func(id featurestore.ID) (*trainer.Run, error) {
		for _, r := range runs {
			if r.ID == id {
				return r, nil
			}
		}
		return store.Run(ctx, id)
	}
	save := func(r *trainer.Run) error { return store.RecordRun(ctx, r) }
	err := trainer.SyncRuns(ctx, tracker, runs, load, func(id featurestore.ID) string { return modelDir(store, id) }, save)
	switch {
	case err == nil:
		return nil
	case mlflow.Unreachable(err):
		fmt.Fprintf(a.st.Stderr, "fs: warning: MLflow at %s is unreachable (%v); the run is kept in the local store as pending\n", client.BaseURL, err)
		fmt.Fprintf(a.st.Stderr, "fs: hint: run fs sync when the server is back; it finishes the same MLflow run\n")
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return &featurestore.Error{Code: featurestore.EINVALID, Message: "MLflow refused the run", Err: err,
		Hint: "the run is kept in the local store as pending; fix the cause and run fs sync"}
}

func newSyncCmd(a *app) *cobra.Command {
	var experiment string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Push runs that are not in MLflow yet",
		Long: `Push to MLflow (MLFLOW_TRACKING_URI) every run that is not synced: runs recorded
while MLflow was unreachable or failing are resumed where they stopped, without
creating a second MLflow run; runs recorded without a tracking URI are created
in --experiment (default $MLFLOW_EXPERIMENT_NAME, else Default).

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
			store, err := a.openStore(false)
			if err != nil {
				return err
			}
			defer store.Close()
			all, err := store.Runs(ctx)
			if err != nil {
				return err
			}
			todo := []*trainer.Run{}
			for i := range all {
				r := &all[i]
				if r.MLflow.State == "synced" {
					continue
				}
				if r.MLflow.Experiment == "" {
					r.MLflow.Experiment = a.experiment(experiment)
				}
				todo = append(todo, r)
			}
			sort.SliceStable(todo, func(i, j int) bool { return todo[i].Created.Before(todo[j].Created) })
			if err := a.syncRuns(ctx, store, client, todo); err != nil {
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
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}
