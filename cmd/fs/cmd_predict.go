package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/trainer"
)

type predictOptions struct {
	model, input, out string
	allowMismatch     bool
	json              bool
}

func newPredictCmd(a *app) *cobra.Command {
	var o predictOptions
	cmd := &cobra.Command{
		Use:   "predict --model RUN --input FILE.parquet --out FILE.parquet",
		Short: "Predict with a trained run's model",
		Long: `Predict with the model of a training run. The input is a parquet file, normally
written by fs materialize; its feature versions must be the ones the model was
trained on (training/serving skew is refused, naming each mismatch) unless
--allow-version-mismatch. The output is the input's columns plus prediction
(null where a feature is null), written atomically.

Exit codes: 0 ok, 1 error (a version mismatch included), 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs predict --model 3f9a1c2b --input new_rows.parquet --out predictions.parquet",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runPredict(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "the run whose model predicts (id or prefix; required)")
	f.StringVar(&o.input, "input", "", "input parquet file (required)")
	f.StringVar(&o.out, "out", "", "output parquet file (required)")
	f.BoolVar(&o.allowMismatch, "allow-version-mismatch", false, "predict even if the input's feature versions differ from the model's")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("input")
	cmd.MarkFlagRequired("out")
	return cmd
}

func (a *app) loadRun(ctx context.Context, arg string) (*trainer.Run, error) {
	store, err := a.openStore(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	id, err := store.ResolveRun(ctx, arg)
	if err != nil {
		return nil, err
	}
	return store.Run(ctx, id)
}

func (a *app) runPredict(ctx context.Context, o predictOptions) error {
	if err := featurestore.CheckOutput("--out", o.out, []string{o.input}, []string{a.storeDir()}); err != nil {
		return err
	}
	run, err := a.loadRun(ctx, o.model)
	if err != nil {
		return err
	}
	if run.Model == nil {
		return featurestore.Errorf(featurestore.EINVALID, "run %s has no model", run.ID.Short())
	}
	data, err := a.loadDataset(ctx, o.input)
	if err != nil {
		return err
	}
	if mm := trainer.Mismatches(run.Features, data); len(mm) > 0 {
		if !o.allowMismatch {
			e := featurestore.Errorf(featurestore.ECONFLICT, "the input's feature versions differ from the model's (training/serving skew)")
			e.Detail = mm
			return e.WithHint("materialize the input with the model's versions (NAME@VERSION), or pass --allow-version-mismatch")
		}
		for _, m := range mm {
			fmt.Fprintf(a.st.Stderr, "fs: warning: version mismatch: %s\n", m)
		}
	}
	pred, err := trainer.Predict(run, data.Table, "prediction")
	if err != nil {
		return err
	}
	t := &featurestore.Table{Rows: data.Table.Rows, Series: append(append([]*featurestore.Series{}, data.Table.Series...), pred)}
	meta := map[string]string{featurestore.MetaRunID: run.ID.String(), featurestore.MetaInputDigest: data.Ref.Digest,
		featurestore.MetaVersion: featurestore.Version}
	if err := writeParquetAtomic(o.out, t, meta); err != nil {
		return err
	}
	nulls := 0
	for i := 0; i < t.Rows; i++ {
		if pred.Null(i) {
			nulls++
		}
	}
	if o.json {
		return writeJSON(a.st.Stdout, map[string]any{"run": run.ID, "rows": t.Rows, "null_predictions": nulls, "out": o.out})
	}
	fmt.Fprintf(a.st.Stdout, "run      %s\nrows     %d (%d without a prediction: a feature was null)\nout      %s\n", run.ID.Short(), t.Rows, nulls, o.out)
	return nil
}

// writeParquetAtomic writes t to path through a temporary file.
func writeParquetAtomic(path string, t *featurestore.Table, meta map[string]string) error {
	return writeFileAtomic(path, func(f *os.File) error {
		if err := parquet.WriteTable(f, t, meta); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}
