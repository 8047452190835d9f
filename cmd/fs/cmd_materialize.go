package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/internal/format"
)

type materializeOptions struct {
	features        []string
	featureSet      string
	entities        string
	out             string
	asOf            string
	timestampColumn string
	json            bool
	quiet           bool
	serverSideOut   bool
	verifySources   bool
	engine          string
	sparkRemote     string
	memoryLimit     string
	timings         bool
	keepEntities    bool
}

func newMaterializeCmd(a *cli) *cobra.Command {
	var o materializeOptions
	cmd := &cobra.Command{
		Use:   "materialize (--features A,B@VERSION,... | --feature-set NAME) --entities FILE --out FILE.parquet",
		Short: "Build a point-in-time correct training set",
		Long: `Join feature values onto the rows of an entity file as of each row's event time.

For each entity row and feature: among the source rows with the same join keys
and a timestamp at or before the event time (and within the feature's TTL), the
latest wins; ties go to the latest created timestamp, then to the row that comes
last in the source. Source rows created after the cutoff are ignored. No such
row: the feature is null. The output keeps the entity file's rows, in order,
duplicates included: entity keys, the event timestamp, the other entity columns,
then the features in the order asked.

The entity file is CSV (comma or tab separated, header row) or parquet, with the
join keys and an event timestamp in RFC 3339 or 2021-04-16 20:29:28+00:00 form;
a timestamp without a zone is UTC.

The file is written through a temporary file and renamed: a failure or Ctrl-C
leaves no partial output and records nothing. The dataset is recorded in the
store with its inputs. It prints the dataset id, the row count and each
feature's version.

Arguments (flags):
  --features         features in output order; NAME@VERSION pins a version
  --feature-set      a feature set (NAME or NAME@VERSION) instead of --features
  --entities         the entity file
  --out              the parquet file to write
  --as-of            ignore source rows created after this time (default: now,
                     when a source has a created timestamp)
  --timestamp-column the entity file's event time column (default event_timestamp)
  --engine           local (default), or spark: a Spark Connect server
                     (--spark-remote, else $SPARK_REMOTE) picks the as-of rows;
                     the same bytes either way
  --memory-limit     the memory budget (512MB, 2GiB; default 4GiB, or
                     FS_MEMORY_LIMIT if lower): a source whose join keys and timestamps would
                     not fit is spilled to the store's tmp directory in
                     partitions by join key and read back once; the same
                     bytes either way
  --timings          print how long each step took, on stderr
  --keep-entities    keep a copy of the entity file in the store (named by its
                     content) and record the copy: for a file that will not
                     stay, so that the dataset can still be rebuilt

Exit codes: 0 ok, 1 error, 2 usage, 10 no store (or no Spark server at --spark-remote), 11 store in use, 12 store damaged, 130 interrupted.`,
		Example: `  fs materialize --features conv_rate,acc_rate,avg_daily_trips --entities orders.csv --out train.parquet
  fs materialize --feature-set driver_ranking --entities orders.parquet --out train.parquet --as-of 2021-08-01T00:00:00Z
  fs materialize --features trips_per_hour@ab7a234b4e61,conv_rate --entities orders.tsv --out old.parquet --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runMaterialize(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.features, "features", nil, "features, comma-separated, in output order (NAME or NAME@VERSION)")
	f.StringVar(&o.featureSet, "feature-set", "", "a feature set, NAME or NAME@VERSION")
	f.StringVar(&o.entities, "entities", "", "entity file: CSV, TSV or parquet (required)")
	f.StringVar(&o.out, "out", "", "output parquet file (required)")
	f.StringVar(&o.asOf, "as-of", "", "cutoff: ignore source rows created after this time")
	f.StringVar(&o.timestampColumn, "timestamp-column", "event_timestamp", "the entity file's event time column")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar")
	f.StringVar(&o.engine, "engine", "local", "local, or spark: a Spark Connect server picks the as-of rows")
	f.StringVar(&o.sparkRemote, "spark-remote", "", "the Spark Connect server for --engine spark (default $SPARK_REMOTE)")
	f.StringVar(&o.memoryLimit, "memory-limit", "", "memory budget, e.g. 512MB or 2GiB (default 4GiB, or FS_MEMORY_LIMIT if lower); a larger source is spilled to disk")
	f.BoolVar(&o.timings, "timings", false, "print how long each step took (on stderr)")
	f.BoolVar(&o.keepEntities, "keep-entities", false, "keep a copy of the entity file in the store and record the copy")
	f.BoolVar(&o.verifySources, "verify-sources", false, "hash every source file again, even those whose size, times and inode did not change")
	f.BoolVar(&o.serverSideOut, "server-side-out", false, "with an fs server: --out is a path on the server, which keeps the file there")
	cmd.MarkFlagRequired("entities")
	cmd.MarkFlagRequired("out")
	return cmd
}

func (a *cli) runMaterialize(cmd *cobra.Command, o materializeOptions) error {
	req := app.MaterializeRequest{Features: o.features, FeatureSet: o.featureSet, Entities: o.entities,
		TimestampColumn: o.timestampColumn, Out: o.out, ServerSideOut: o.serverSideOut,
		VerifySources: o.verifySources, Engine: o.engine, SparkRemote: o.sparkRemote, Timings: o.timings,
		KeepEntities: o.keepEntities}
	limit, err := sizeFlag("--memory-limit", o.memoryLimit)
	if err != nil {
		return err
	}
	req.MemoryLimit = limit
	if o.asOf != "" {
		t, err := app.ParseTime(o.asOf)
		if err != nil {
			return usageError{fmt.Errorf("--as-of: %v", err)}
		}
		req.AsOf = app.Time{Time: t}
	}
	ctx := a.ctx(cmd)
	if bar := a.progress(o.quiet, "materialize"); bar != nil {
		var mu sync.Mutex
		ctx = app.WithProgress(ctx, func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			bar.ChangeMax(total)
			bar.Set(done)
		})
		defer bar.Finish()
	}
	ds, err := a.api().Materialize(ctx, req)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(a.st.Stdout, ds)
	}
	w := a.st.Stdout
	cutoff := "none"
	if !ds.Cutoff.IsZero() {
		cutoff = ds.Cutoff.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(w, "dataset  %s\nrows     %d\ncutoff   %s\nout      %s\n\n", ds.ID.Short(), ds.Rows, cutoff, o.out)
	t := newTable(w, "FEATURE", "VERSION", "NULLS")
	for i, f := range ds.Features {
		nulls := format.Nulls(ds.Nulls[i].Nulls, ds.Rows)
		if inf := ds.Nulls[i].Inf; inf > 0 {
			nulls += fmt.Sprintf("; %d infinite", inf)
		}
		t.row(f.Name, f.Version.Short(), nulls)
	}
	return t.flush()
}

// progress returns a progress bar on stderr when it is a terminal and the
// user did not ask for quiet; nil otherwise.
func (a *cli) progress(quiet bool, what string) *progressbar.ProgressBar {
	f, ok := a.st.Stderr.(*os.File)
	if quiet || !ok || !isatty.IsTerminal(f.Fd()) {
		return nil
	}
	return progressbar.NewOptions(1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("fs: "+what),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}
