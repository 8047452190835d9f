package main

import (
	"fmt"

	"github.com/fs-dev/fs/app"
	"github.com/spf13/cobra"
)

type predictOptions struct {
	model, input, out string
	allowMismatch     bool
	serverSideOut     bool
	json              bool
	online            bool
	entities          []string
}

func newPredictCmd(a *cli) *cobra.Command {
	var o predictOptions
	cmd := &cobra.Command{
		Use:   "predict --model RUN (--input FILE.parquet --out FILE.parquet | --online --entity KEY=VALUE ...)",
		Short: "Predict with a trained run's model",
		Long: `Predict with the model of a training run. The input is a parquet file, normally
written by fs materialize; its feature versions must be the ones the model was
trained on (training/serving skew is refused, naming each mismatch) unless
--allow-version-mismatch. The output is the input's columns plus prediction
(null where a feature is null), written atomically; a classifier's prediction
is the label, followed by one proba_<class> column per class.

--online predicts from the online values of the versions the model was
trained on (fs online sync), for each --entity, and prints one row per entity:
its keys, the values, and the prediction (docs/online.md). The online store
is $FS_ONLINE's, else the embedded one.

Exit codes: 0 ok, 1 error (a version mismatch included), 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: `  fs predict --model 3f9a1c2b --input new_rows.parquet --out predictions.parquet
  fs predict --model 3f9a1c2b --online --entity driver_id=1001 --entity driver_id=1002`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runPredict(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "the run whose model predicts (id or prefix; required)")
	f.StringVar(&o.input, "input", "", "input parquet file (required)")
	f.StringVar(&o.out, "out", "", "output parquet file (required)")
	f.BoolVar(&o.allowMismatch, "allow-version-mismatch", false, "predict even if the input's feature versions differ from the model's")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	f.BoolVar(&o.serverSideOut, "server-side-out", false, "with an fs server: --out is a path on the server, which keeps the file there")
	f.BoolVar(&o.online, "online", false, "predict from online values, for --entity rows")
	f.StringArrayVar(&o.entities, "entity", nil, "with --online: an entity's join keys, NAME=VALUE[,NAME=VALUE]; repeat for more")
	cmd.MarkFlagRequired("model")
	return cmd
}

func (a *cli) runPredict(cmd *cobra.Command, o predictOptions) error {
	if o.online {
		return a.predictOnline(cmd, o)
	}
	if len(o.entities) > 0 {
		return usageError{fmt.Errorf("--entity goes with --online")}
	}
	res, err := a.api().Predict(a.ctx(cmd), app.PredictRequest{Model: o.model, Input: o.input, Out: o.out, AllowMismatch: o.allowMismatch, ServerSideOut: o.serverSideOut})
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(a.st.Stdout, res)
	}
	fmt.Fprintf(a.st.Stdout, "run      %s\nrows     %d (%d without a prediction: a feature was null)\nout      %s\n", res.Run.Short(), res.Rows, res.NullPredictions, o.out)
	return nil
}

// predictOnline predicts from online values.
func (a *cli) predictOnline(cmd *cobra.Command, o predictOptions) error {
	if o.input != "" || o.out != "" {
		return usageError{fmt.Errorf("--online predicts for --entity rows: give no --input or --out")}
	}
	req := app.OnlineRequest{Run: o.model, Predict: true}
	var err error
	if req.Entities, err = parseEntities(o.entities); err != nil {
		return err
	}
	res, err := a.api().OnlineGet(a.ctx(cmd), req)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(a.st.Stdout, res)
	}
	return printOnline(a.st.Stdout, res)
}
