package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
)

type doctorOptions struct {
	repair bool
	json   bool
}

func newDoctorCmd(a *cli) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor [--repair]",
		Short: "Check the store's files and records; repair a damaged store",
		Long: `Check the store without changing it: every file's structure and checksums,
then the records against each other (every lineage edge stored both ways with
both ends recorded, every run with its dataset, its model and its sweep, every
feature name and feature set pointing at recorded versions). Notes are findings
that lose nothing, such as a dataset file deleted since it was written.

Leftovers are what killed commands left that no command sees: the runs of a
sweep whose own record was never written, and model directories of runs never
recorded. They do not make the store damaged.

Warnings are what may stop a kept run from being reproduced: a table snapshot
(Iceberg) its dataset read that the table no longer keeps, or that the table's
retention (history.expire.max-snapshot-age-ms) may expire within a day.

--repair mends a damaged store: it renames it to DIR.backup-TIME (kept as it
was) and rebuilds it from every record that can still be read, newest version
of each winning, and says what it could not keep. On any store it then removes
the leftovers.

Exit codes: 0 the store is whole, 1 error, 2 usage, 10 no store, 11 store in use,
12 the store is damaged or inconsistent (after --repair: still).`,
		Example: "  fs doctor\n  fs doctor --json\n  fs doctor --repair",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDoctor(cmd, o)
		},
	}
	cmd.Flags().BoolVar(&o.repair, "repair", false, "back a damaged store up and rebuild it from what can be read; remove leftovers")
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func (a *cli) runDoctor(cmd *cobra.Command, o doctorOptions) error {
	if err := a.localOnly("fs doctor"); err != nil {
		return err
	}
	c, err := app.Doctor(cmd.Context(), a.storeDir(), o.repair)
	if c == nil {
		return err
	}
	if o.json {
		if werr := writeJSON(a.st.Stdout, c); werr != nil {
			return werr
		}
	} else {
		printDoctor(a, c)
	}
	return err
}

func printDoctor(a *cli, c *app.Checkup) {
	w, rep, res := a.st.Stdout, c.Report, c.Repair
	if res != nil && res.Backup != "" {
		fmt.Fprintf(w, "backup    %s (the store as it was)\nkept      %d records\n", res.Backup, res.Kept)
		for _, l := range res.Lost {
			fmt.Fprintf(w, "lost      %s\n", l)
		}
	}
	if res != nil {
		for _, r := range res.Removed {
			fmt.Fprintf(w, "removed   %s\n", r)
		}
	}
	fmt.Fprintf(w, "store     %s\n", rep.Store)
	if len(rep.Damage) > 0 {
		for _, d := range rep.Damage {
			fmt.Fprintf(w, "damaged   %s\n", d)
		}
		return
	}
	fmt.Fprintf(w, "files     ok\n")
	var kinds []string
	for k, n := range rep.Checked {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(kinds)
	state := "ok"
	if len(rep.Problems) > 0 {
		state = fmt.Sprintf("%d problems", len(rep.Problems))
	}
	fmt.Fprintf(w, "records   %s (%s)\n", state, strings.Join(kinds, ", "))
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "problem   %s\n", p)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note      %s\n", n)
	}
	for _, l := range rep.Leftovers {
		fmt.Fprintf(w, "leftover  %s\n", l)
	}
	if len(rep.Leftovers) > 0 {
		fmt.Fprintf(w, "          (harmless: no command sees them; fs doctor --repair removes them)\n")
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "warning   %s\n", warn)
	}
}
