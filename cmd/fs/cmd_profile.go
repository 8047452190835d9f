package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/profile"
)

type profileOptions struct {
	target, html, timestamp string
	entity                  []string
	json                    bool
	memoryLimit             string
}

// exitValidation is fs validate's exit code when an expectation fails.
const exitValidation = 5

type validationFailed struct{ n int }

func (v validationFailed) Error() string { return fmt.Sprintf("%d expectations failed", v.n) }

// newProfileCmd is fs profile: the statistics of a file or a registered
// source, as text, JSON or an HTML report.
func newProfileCmd(a *cli) *cobra.Command {
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

Memory stays within --memory-limit (default 4GiB, or FS_MEMORY_LIMIT if lower):
past it, row hashes and columns go to temporary files in the store's tmp
directory (columns sorted in runs and merged), with the same figures.

The profile of a registered source or of a dataset is kept in the store and
shown by fs lineage on that node.

Arguments:
  FILE|SOURCE   a parquet file or directory, or a registered source's name

Exit codes: 0 ok, 1 error, 2 usage.`,
		Example: "  fs profile data/driver_stats.parquet\n  fs profile driver_stats --target trip_completed --html report.html\n  fs profile train.parquet --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			limit, err := sizeFlag("--memory-limit", o.memoryLimit)
			if err != nil {
				return err
			}
			if o.html != "" {
				var keep []string
				if !a.remote() {
					keep = []string{a.storeDir()}
				}
				if err := featurestore.CheckOutput("--html", o.html, []string{argv[0]}, keep); err != nil {
					return err
				}
			}
			p, err := a.api().Profile(a.ctx(cmd), app.ProfileRequest{Target: argv[0], Label: o.target,
				TimestampColumn: o.timestamp, EntityColumns: o.entity, MemoryLimit: limit})
			if err != nil {
				return err
			}
			if o.html != "" {
				if err := app.WriteFileAtomic(o.html, func(f *os.File) error { return profile.HTML(f, p) }); err != nil {
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
	f.StringVar(&o.memoryLimit, "memory-limit", "", "memory budget, e.g. 2GiB (default 4GiB, or FS_MEMORY_LIMIT if lower); past it, temporary files")
	return cmd
}

func printProfile(a *cli, p *profile.Profile) {
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

func newValidateCmd(a *cli) *cobra.Command {
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
			res, err := a.api().Validate(a.ctx(cmd), app.ValidateRequest{Target: argv[0], File: expect})
			if err != nil {
				return err
			}
			path, v := res.Path, res.Violations
			if asJSON {
				if err := writeJSON(a.st.Stdout, res); err != nil {
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
