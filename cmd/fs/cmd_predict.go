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
}

func newPredictCmd(a *cli) *cobra.Command {
	var o predictOptions
	cmd := &cobra.Command{
		Use:   "predict --model RUN --input FILE.parquet --out FILE.parquet",
		Short: "Predict with a trained run's model",
		Long: `Predict with the model of a training run. The input is a parquet file, normally
written by fs materialize; its feature versions must be the ones the model was
trained on (training/serving skew is refused, naming each mismatch) unless
--allow-version-mismatch. The output is the input's columns plus prediction
(null where a feature is null), written atomically; a classifier's prediction
is the label, followed by one proba_<class> column per class.

Exit codes: 0 ok, 1 error (a version mismatch included), 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs predict --model 3f9a1c2b --input new_rows.parquet --out predictions.parquet",
		Args:    args(cobra.NoArgs),
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
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("input")
	cmd.MarkFlagRequired("out")
	return cmd
}

func (a *cli) runPredict(cmd *cobra.Command, o predictOptions) error {
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
