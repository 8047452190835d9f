package main

import (
	"github.com/fs-dev/fs/app"
	"github.com/spf13/cobra"
)

func newSyncCmd(a *cli) *cobra.Command {
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
			runs, err := a.api().Sync(a.ctx(cmd), app.SyncRequest{Experiment: experiment, Abandon: abandon})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, runs)
			}
			if abandon != "" {
				t := newTable(a.st.Stdout, "RUN", "STATE", "MLFLOW_RUN")
				for _, r := range runs {
					t.row(r.ID.Short(), r.MLflow.State, r.MLflow.RunID)
				}
				return t.flush()
			}
			if len(runs) == 0 {
				return nil
			}
			t := newTable(a.st.Stdout, "RUN", "STATE", "MLFLOW_RUN", "EXPERIMENT")
			for _, r := range runs {
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
