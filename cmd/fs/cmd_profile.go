package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/badger"
	"github.com/fs-dev/fs/featurestore/parquet"
	fsyaml "github.com/fs-dev/fs/featurestore/yaml"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/profile"
)

type profileOptions struct {
	target, html, timestamp string
	entity                  []string
	json                    bool
}

// exitValidation is fs validate's exit code when an expectation fails.
const exitValidation = 5

type validationFailed struct{ n int }

func (v validationFailed) Error() string { return fmt.Sprintf("%d expectations failed", v.n) }

// profileTarget resolves FILE or SOURCE to the files to read, the options
// the registry knows, and the lineage node a profile belongs to.
func (a *app) profileTarget(ctx context.Context, arg string, o *profile.Options) (path string, files []string, node lineage.NodeID, err error) {
	if _, statErr := os.Stat(arg); statErr == nil {
		if files, err = parquet.Files(arg); err != nil {
			return "", nil, "", err
		}
		if meta, merr := parquet.FileMetadata(files[0]); merr == nil {
			if m, ok, _ := featurestore.DecodeDatasetMeta(files[0], meta); ok {
				node = lineage.ID(lineage.Dataset, m.ID)
				if o.TimestampColumn == "" {
					o.TimestampColumn = m.TimestampColumn
				}
			}
		}
		return arg, files, node, nil
	}
	store, err := a.openStore(true)
	if err != nil {
		return "", nil, "", featurestore.Errorf(featurestore.EINVALID, "%s is neither a file nor a registered source", arg).
			WithHint("give a parquet file, a directory of them, or the name of a registered source")
	}
	defer store.Close()
	sources, err := store.Sources(ctx)
	if err != nil {
		return "", nil, "", err
	}
	var names []string
	for _, s := range sources {
		names = append(names, s.Name)
		if s.Name != arg {
			continue
		}
		if files, err = parquet.Files(s.Path); err != nil {
			return "", nil, "", err
		}
		ents, err := store.Entities(ctx)
		if err != nil {
			return "", nil, "", err
		}
		for _, e := range ents {
			if e.Name == s.Entity && len(o.EntityColumns) == 0 {
				o.EntityColumns = e.JoinKeys
			}
		}
		if o.TimestampColumn == "" {
			o.TimestampColumn = s.TimestampField
		}
		snap, err := materialize.Snapshot(s, files)
		if err != nil {
			return "", nil, "", err
		}
		return s.Path, files, lineage.ID(lineage.Snapshot, snap.Digest), nil
	}
	return "", nil, "", featurestore.Errorf(featurestore.EINVALID, "%s is neither a file nor a registered source", arg).
		WithHint("registered sources: %s", strings.Join(names, ", "))
}

func newProfileCmd(a *app) *cobra.Command {
	var o profileOptions
	cmd := &cobra.Command{
		Use:   "profile FILE|SOURCE [--target COL] [--html FILE]",
		Short: "Profile data: per-column statistics, table checks, correlations, warnings",
		Long: `Profile a parquet file (or directory) or a registered source: per column the type,
count, nulls, distinct values, min, max, mean, standard deviation, zeros,
quantiles (1, 5, 25, 50, 75, 95, 99), outliers by the IQR rule and a histogram;
for the table duplicate rows, duplicate (entity, timestamp) pairs, the time range,
rows out of order, rows per entity and the Pearson correlation matrix; with
--target the label balance and each feature's correlation with it; then
warnings in plain words, most important first. Numbers agree with pandas.

The profile of a registered source or of a dataset is kept in the store and
shown by fs lineage on that node.

Arguments:
  FILE|SOURCE   a parquet file or directory, or a registered source's name

Exit codes: 0 ok, 1 error, 2 usage.`,
		Example: "  fs profile data/driver_stats.parquet\n  fs profile driver_stats --target trip_completed --html report.html\n  fs profile train.parquet --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ctx := cmd.Context()
			po := profile.Options{Target: o.target, TimestampColumn: o.timestamp, EntityColumns: o.entity}
			path, files, node, err := a.profileTarget(ctx, argv[0], &po)
			if err != nil {
				return err
			}
			if o.html != "" {
				if err := featurestore.CheckOutput("--html", o.html, files, []string{a.storeDir()}); err != nil {
					return err
				}
			}
			p, err := profile.Run(ctx, path, files, po)
			if err != nil {
				return err
			}
			if node != "" && badger.Exists(a.storeDir()) {
				if err := a.recordProfile(ctx, node, p); err != nil {
					return err
				}
			}
			if o.html != "" {
				if err := writeFileAtomic(o.html, func(f *os.File) error { return profile.HTML(f, p) }); err != nil {
					return err
				}
				fmt.Fprintf(a.st.Stderr, "fs: wrote %s\n", o.html)
			}
			if o.json {
				return writeJSON(a.st.Stdout, p)
			}
			printProfile(a, p)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "the label column: its balance and each feature's correlation with it")
	f.StringVar(&o.html, "html", "", "also write a self-contained HTML report")
	f.StringVar(&o.timestamp, "timestamp", "", "the event time column (default: the source's, or found by name)")
	f.StringSliceVar(&o.entity, "entity", nil, "the entity key columns (default: the source's, or a column ending in _id)")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func (a *app) recordProfile(ctx context.Context, node lineage.NodeID, p *profile.Profile) error {
	store, err := a.openStore(false)
	if err != nil {
		return err
	}
	defer store.Close()
	return store.RecordProfile(ctx, node, p)
}

// writeFileAtomic writes path whole or not at all (atomicfile), with
// the error a person reads.
func writeFileAtomic(path string, fill func(*os.File) error) error {
	err := atomicfile.WriteWith(path, fill)
	var pe *os.PathError
	if errors.As(err, &pe) {
		return featurestore.Errorf(featurestore.EINVALID, "cannot write %s: %v", path, pe.Err).
			WithHint("check that the directory exists and is writable")
	}
	return err
}

func printProfile(a *app, p *profile.Profile) {
	w := a.st.Stdout
	fmt.Fprintf(w, "%s: %d rows, %d columns\n\n", p.Path, p.Rows, len(p.Columns))
	t := newTable(w, "COLUMN", "TYPE", "COUNT", "NULLS", "DISTINCT", "MIN", "P50", "MAX", "MEAN", "STD", "ZEROS", "OUTLIERS")
	for _, c := range p.Columns {
		lo, mid, hi := c.MinText, "-", c.MaxText
		if c.Min != nil {
			lo, hi = fmtNum(*c.Min), fmtNum(*c.Max)
		}
		for _, q := range c.Quantiles {
			if q.Q == 0.5 {
				mid = fmtNum(q.Value)
			}
		}
		t.row(c.Name, c.Type, fmt.Sprint(c.Count), fmt.Sprintf("%d (%.1f%%)", c.Nulls, 100*c.NullShare), fmt.Sprint(c.Distinct),
			lo, mid, hi, optNum(c.Mean), optNum(c.Std), fmt.Sprint(c.Zeros), fmt.Sprint(c.Outliers))
	}
	t.flush()
	tb := p.Table
	fmt.Fprintf(w, "\nduplicate rows %d; duplicate (entity, timestamp) pairs %d; rows out of order %d\n",
		tb.DuplicateRows, tb.DuplicateKeyTime, tb.OutOfOrder)
	if tb.TimeMin != "" {
		fmt.Fprintf(w, "time range %s to %s\n", tb.TimeMin, tb.TimeMax)
	}
	if tb.Entities > 0 {
		fmt.Fprintf(w, "%d entities; rows per entity min %d, median %v, max %d (%s)\n", tb.Entities, tb.RowsPerEntityMin,
			tb.RowsPerEntityMed, tb.RowsPerEntityMax, tb.MaxEntity)
	}
	if ta := p.Target; ta != nil {
		fmt.Fprintf(w, "\ntarget %s\n", ta.Name)
		for _, b := range ta.Balance {
			fmt.Fprintf(w, "  %s: %d rows (%.1f%%)\n", b.Value, b.Count, 100*b.Share)
		}
		for _, c := range ta.Correlation {
			fmt.Fprintf(w, "  correlation with %s: %s\n", c.Name, optNum(c.Value))
		}
	}
	fmt.Fprintln(w, "\nwarnings")
	if len(p.Warnings) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, x := range p.Warnings {
		fmt.Fprintf(w, "  %s\n", x.Message)
	}
}

func optNum(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmtNum(*v)
}

func newValidateCmd(a *app) *cobra.Command {
	var expect string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate FILE|SOURCE --expect EXPECTATIONS.yaml",
		Short: "Check data against expectations; exit 5 naming each violation",
		Long: `Check a parquet file, directory or registered source against expectations in YAML:

  columns:
    driver_id:       {type: int64, not_null: true, allowed: [1001, 1002, 1003]}
    event_timestamp: {type: timestamp, not_null: true}
    conv_rate:       {type: float64, min: 0, max: 1, max_null_share: 0.05}
  unique: [driver_id, event_timestamp]   # no repeated combination
  exact: false                           # true: no columns besides those listed

Types are float64, int64, bool, string and timestamp. fs demo writes an
expectations.yaml that its train.parquet meets.

Exit codes: 0 every expectation holds, 5 some do not (each is named), 1 error, 2 usage.`,
		Example: "  fs validate train.parquet --expect expectations.yaml",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ctx := cmd.Context()
			var e profile.Expectations
			if err := fsyaml.DecodeFile(expect, &e, "see fs validate --help for the format of expectations"); err != nil {
				return err
			}
			var po profile.Options
			path, files, _, err := a.profileTarget(ctx, argv[0], &po)
			if err != nil {
				return err
			}
			v, err := profile.Validate(ctx, path, files, &e)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(a.st.Stdout, map[string]any{"path": path, "violations": v}); err != nil {
					return err
				}
			} else if len(v) == 0 {
				fmt.Fprintf(a.st.Stdout, "%s: every expectation holds\n", path)
			} else {
				for _, x := range v {
					fmt.Fprintf(a.st.Stdout, "%s: %s\n", x.Rule, x.Message)
				}
			}
			if len(v) > 0 {
				return validationFailed{len(v)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&expect, "expect", "", "the expectations file (YAML; required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.MarkFlagRequired("expect")
	return cmd
}
