package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/featurestore"
)

func newDatasetsCmd(a *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "datasets",
		Short: "List and show materialized datasets",
	}
	var listJSON, showJSON bool
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the datasets recorded by fs materialize, newest first",
		Long:    "List the datasets recorded by fs materialize, newest first.\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.",
		Example: "  fs datasets list\n  fs datasets list --json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ds, err := a.api().Datasets(a.ctx(cmd))
			if err != nil {
				return err
			}
			if listJSON {
				return writeJSON(a.st.Stdout, ds)
			}
			t := newTable(a.st.Stdout, "DATASET", "CREATED", "ROWS", "FEATURES", "OUTPUT")
			for _, d := range ds {
				var names []string
				for _, f := range d.Features {
					names = append(names, f.Name)
				}
				t.row(d.ID.Short(), fmtTime(d.Created), fmt.Sprint(d.Rows), strings.Join(names, ","), d.Output)
			}
			return t.flush()
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print one JSON document")
	show := &cobra.Command{
		Use:   "show DATASET",
		Short: "Show a dataset and everything that went into it",
		Long: `Show a dataset: its feature versions, source snapshots, entity file and cutoff.

Arguments:
  DATASET   a dataset id or any unique prefix of one

Exit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs datasets show 3f9a1c2b4d5e\n  fs datasets show 3f9a --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			d, err := a.api().Dataset(a.ctx(cmd), argv[0])
			if err != nil {
				return err
			}
			if showJSON {
				return writeJSON(a.st.Stdout, d)
			}
			printDataset(a, d)
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print one JSON document")
	cmd.AddCommand(list, show)
	return cmd
}

func printDataset(a *cli, d *featurestore.Dataset) {
	w := a.st.Stdout
	cutoff := "none"
	if !d.Cutoff.IsZero() {
		cutoff = d.Cutoff.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(w, "dataset   %s\ncreated   %s\nrows      %d\ncutoff    %s\noutput    %s\nentities  %s (sha256 %s, %d rows, event time %s)\n",
		d.ID, fmtTime(d.Created), d.Rows, cutoff, d.Output, d.Entities.Path, d.Entities.Digest[:12], d.Entities.Rows, d.TimestampColumn)
	fmt.Fprintln(w)
	ft := newTable(w, "FEATURE", "VERSION")
	for _, f := range d.Features {
		ft.row(f.Name, f.Version.Short())
	}
	ft.flush()
	fmt.Fprintln(w)
	st := newTable(w, "SOURCE", "SNAPSHOT", "ROWS", "FILES")
	for _, s := range d.Sources {
		st.row(s.Name, s.Digest[:12], fmt.Sprint(s.Rows), fmt.Sprint(len(s.Files))+" under "+s.Path)
	}
	st.flush()
}
