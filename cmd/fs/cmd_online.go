package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
)

const onlineExitCodes = `
Exit codes: 0 ok, 1 error, 2 usage, 10 no store (or the online store
unreachable), 11 store in use, 12 store damaged, 130 interrupted.`

func newOnlineCmd(a *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "online",
		Short: "Serve features online: sync their values, read them, check them",
		Long: `The online store holds, for each feature version synced, its value for every
entity key of its sources, computed by materialize's own code as of one time.
It is embedded by default (Badger, beside the store: STORE-online); --online
redis://HOST:PORT/DB (or $FS_ONLINE) keeps it in Redis.`,
	}
	cmd.PersistentFlags().StringVar(&a.onlineFlag, "online", "", "the online store: redis://HOST:PORT[/DB] (default $FS_ONLINE, else embedded)")
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error { return a.onlineFlagLocal() }
	cmd.AddCommand(newOnlineSyncCmd(a), newOnlineGetCmd(a), newOnlineCheckCmd(a))
	return cmd
}

func newOnlineSyncCmd(a *cli) *cobra.Command {
	var req app.OnlineSyncRequest
	var asOf string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync (--features A,B@VERSION | --feature-set NAME | --run RUN) [--as-of T]",
		Short: "Compute features' online values as of a time",
		Long: `For every entity key in the features' sources, compute each feature version's
value as of --as-of (default now) under the materialize rule (as-of join, TTL,
created cutoff, windows ending then) and make them the online values, all at
once: a sync that fails or is killed leaves the last complete one.

A later sync reads only what changed: at the same time, sources unchanged are
not read again and sources that only gained files have the keys of those files
computed again; at a later time, so are features without TTL or window when no
row was dated or created after the last sync's time. Otherwise (TTLs and
windows move with the time) every key is computed; --full computes every key
in any case.` + onlineExitCodes,
		Example: `  fs online sync --feature-set driver_ranking
  fs online sync --run 3f2a
  fs online sync --features conv_rate,acc_rate --as-of 2021-04-12T10:00:00Z --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asOf != "" {
				t, err := app.ParseTime(asOf)
				if err != nil {
					return usageError{fmt.Errorf("--as-of %q: %v", asOf, err)}
				}
				req.AsOf = app.Time{Time: t}
			}
			res, err := a.api().OnlineSync(a.ctx(cmd), req)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, res)
			}
			t := newTable(a.st.Stdout, "FEATURE", "VERSION", "STATUS", "KEYS", "COMPUTED")
			for _, f := range res.Features {
				t.row(f.Name, f.Version.Short(), f.Status, fmt.Sprint(f.Keys), fmt.Sprint(f.Updated))
			}
			fmt.Fprintf(a.st.Stderr, "fs: online values as of %s\n", res.AsOf.Format("2006-01-02T15:04:05.999999Z07:00"))
			return t.flush()
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&req.Features, "features", nil, "features, comma-separated (NAME or NAME@VERSION)")
	f.StringVar(&req.FeatureSet, "feature-set", "", "a feature set, NAME or NAME@VERSION")
	f.StringVar(&req.Run, "run", "", "a run: the feature versions its model was trained on")
	f.StringVar(&asOf, "as-of", "", "the time the values are as of (default now)")
	f.BoolVar(&req.Full, "full", false, "compute every key, even when the sources are unchanged or only gained files")
	f.BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func newOnlineGetCmd(a *cli) *cobra.Command {
	var req app.OnlineRequest
	var entities []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get (--features A,B | --feature-set NAME | --run RUN) --entity KEY=VALUE ...",
		Short: "Read features' online values for entities",
		Long: `Print one row per --entity, in order: its join keys, then each feature's online
value. --run reads the versions the run's model was trained on. A null value
says why in --json ("nulls": no_row, outside_ttl, null_value, or not_synced for
a key no source had at the sync).

--entity takes NAME=VALUE (several join keys: a=1,b=x); a VALUE that is JSON
(1001, "1001") is that value, any other text a string.` + onlineExitCodes,
		Example: `  fs online get --feature-set driver_ranking --entity driver_id=1001 --entity driver_id=1002
  fs online get --run 3f2a --entity driver_id=1001 --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.Entities, err = parseEntities(entities); err != nil {
				return err
			}
			res, err := a.api().OnlineGet(a.ctx(cmd), req)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, res)
			}
			return printOnline(a.st.Stdout, res)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&req.Features, "features", nil, "features, comma-separated (NAME or NAME@VERSION)")
	f.StringVar(&req.FeatureSet, "feature-set", "", "a feature set, NAME or NAME@VERSION")
	f.StringVar(&req.Run, "run", "", "a run: the feature versions its model was trained on")
	f.StringArrayVar(&entities, "entity", nil, "an entity's join keys, NAME=VALUE[,NAME=VALUE]; repeat for more")
	f.BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// printOnline prints the rows as a table, a null as its reason.
func printOnline(w io.Writer, res *app.OnlineResult) error {
	t := newTable(w, res.Columns...)
	for i, row := range res.Rows {
		cells := make([]string, len(res.Columns))
		for j, c := range res.Columns {
			if why, ok := res.Nulls[i][c]; ok {
				cells[j] = "null (" + why + ")"
			} else if row[c] == nil {
				cells[j] = "null"
			} else {
				cells[j] = fmt.Sprint(row[c])
			}
		}
		t.row(cells...)
	}
	return t.flush()
}

func newOnlineCheckCmd(a *cli) *cobra.Command {
	var req app.OnlineCheckRequest
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check [--last N]",
		Short: "Replay served online requests through materialize and report differences",
		Long: `Replay the last N online requests served (fs serve --log-requests keeps them,
with their answers, for a week) through materialize: each value served must be,
bit for bit, what materialize gives for that entity as of the value's time. A
difference says the online store is stale (a source changed since the sync)
or, were it ever so, that online and offline disagree.

Exit codes: 0 no difference, 1 differences (or an error), 2 usage, 10 no
store, 11 store in use.`,
		Example: "  fs online check --last 500",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.api().OnlineCheck(a.ctx(cmd), req)
			if err != nil {
				return err
			}
			if asJSON {
				err = writeJSON(a.st.Stdout, res)
			} else {
				err = printCheck(a.st.Stdout, res)
			}
			if err == nil && len(res.Differences) > 0 {
				return featurestore.Errorf(featurestore.ECONFLICT, "%d of %d values served differ from materialize", len(res.Differences), res.Values).
					WithHint("fs online sync the features again; if they still differ, report it")
			}
			return err
		},
	}
	cmd.Flags().IntVar(&req.Last, "last", 100, "how many of the last requests to replay")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func printCheck(w io.Writer, res *app.OnlineCheckResult) error {
	fmt.Fprintf(w, "%d requests, %d values replayed, %d differences\n", res.Requests, res.Values, len(res.Differences))
	if len(res.Differences) == 0 {
		return nil
	}
	t := newTable(w, "FEATURE", "VERSION", "ENTITY", "AS_OF", "ONLINE", "OFFLINE")
	for _, d := range res.Differences {
		var entity bytes.Buffer
		json.Compact(&entity, d.Entity)
		t.row(d.Feature, d.Version.Short(), entity.String(), d.AsOf.Format("2006-01-02T15:04:05.999999Z07:00"),
			valueOrNull(d.Online, d.OnlineNull), valueOrNull(d.Offline, d.OfflineNull))
	}
	return t.flush()
}

func valueOrNull(v any, null string) string {
	if null != "" {
		return "null (" + null + ")"
	}
	return fmt.Sprint(v)
}

func newPushCmd(a *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "push SOURCE FILE|-",
		Short: "Append rows to a source and update their online values",
		Long: `Append the rows of FILE (parquet, or CSV/TSV with a header; - reads standard
input) to SOURCE as a new file with the schema of its files (the source's
path must be a directory, a glob or a bucket prefix), then compute again, as
of now, the online values of the pushed keys for every feature version on
the source that has online values. The offline history stays the source of
truth: materialize reads the pushed rows as any others.

Rows whose columns or types do not match the source's files are refused and
nothing is appended.` + onlineExitCodes,
		Example: `  fs push driver_stats new_stats.parquet
  produce-rows | fs push driver_stats -`,
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if err := a.onlineFlagLocal(); err != nil {
				return err
			}
			input, cleanup, err := a.pushInput(argv[1])
			if err != nil {
				return err
			}
			defer cleanup()
			res, err := a.api().Push(a.ctx(cmd), app.PushRequest{Source: argv[0], Input: input})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, res)
			}
			fmt.Fprintf(a.st.Stderr, "fs: %d rows appended to %s as %s\n", res.Rows, res.Source, res.File)
			t := newTable(a.st.Stdout, "FEATURE", "VERSION", "KEYS_UPDATED", "AS_OF")
			for _, f := range res.Features {
				t.row(f.Name, f.Version.Short(), fmt.Sprint(f.Updated), res.AsOf.Format("2006-01-02T15:04:05.999999Z07:00"))
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&a.onlineFlag, "online", "", "the online store: redis://HOST:PORT[/DB] (default $FS_ONLINE, else embedded)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// pushInput is the file to push: FILE, or standard input copied to a
// temporary file.
func (a *cli) pushInput(arg string) (string, func(), error) {
	if arg != "-" {
		return arg, func() {}, nil
	}
	if a.remote() {
		return "", nil, featurestore.Errorf(featurestore.EUSAGE, "push - reads standard input on this machine, which an fs server cannot read").
			WithHint("write the rows to a file under the server's data root and push that")
	}
	f, err := os.CreateTemp("", "fs-push-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, a.st.Stdin); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("read standard input: %w", err)
	}
	return f.Name(), cleanup, f.Close()
}

// onlineFlagLocal refuses --online with a server's URL: the server's
// online store is its own.
func (a *cli) onlineFlagLocal() error {
	if a.onlineFlag != "" && a.remote() {
		return usageError{fmt.Errorf("--online names the online store of a store directory; %s is an fs server, which uses its own (fs serve --online)", a.storeDir())}
	}
	return nil
}

// parseEntities parses --entity flags.
func parseEntities(args []string) ([]app.Entity, error) {
	var out []app.Entity
	for _, e := range args {
		ent, err := app.ParseEntity(e)
		if err != nil {
			return nil, err
		}
		out = append(out, ent)
	}
	return out, nil
}
