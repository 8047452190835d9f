package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/reproduce"
)

// exitNotReproduced is fs reproduce's exit code when the rebuild differs.
const exitNotReproduced = 4

type notReproduced struct{}

func (notReproduced) Error() string { return "the rebuild is not identical" }

func newReproduceCmd(a *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reproduce RUN",
		Short: "Rebuild a run's dataset and model and say whether both are identical",
		Long: `Rebuild a training run from what the store recorded: check the entity file and
each source snapshot, re-materialize the dataset from the recorded feature
versions, entity file and cutoff, retrain with the recorded parameters and seed,
and compare the dataset rows, the model coefficients and the metrics bit for bit.
When a source changed it says which file, and whether the change is behind the
cutoff (the rebuild is then still identical) or not (it names what differs).
For a sweep, its best run is reproduced.

Arguments:
  RUN   a run id or any unique prefix

Exit codes: 0 identical, 4 not identical, 1 error (e.g. the run's dataset is
not an fs dataset), 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs reproduce 3f9a1c2b\n  fs reproduce 3f9a --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			rep, err := a.api().Reproduce(a.ctx(cmd), argv[0])
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(a.st.Stdout, rep); err != nil {
					return err
				}
			} else {
				printReproduce(a, rep)
			}
			if !rep.Identical {
				return notReproduced{}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func printReproduce(a *cli, rep *reproduce.Report) {
	w := a.st.Stdout
	mark := func(ok bool) string {
		if ok {
			return "identical"
		}
		return "DIFFERENT"
	}
	fmt.Fprintf(w, "run      %s\n", rep.Run.Short())
	if rep.EntitiesChanged {
		fmt.Fprintf(w, "entities DIFFERENT\n")
	} else {
		for _, s := range rep.Sources {
			state := "unchanged"
			if s.Changed {
				state = "changed"
			}
			fmt.Fprintf(w, "source   %s: %s\n", s.Name, state)
			for _, f := range s.Files {
				fmt.Fprintf(w, "         %s\n", f)
			}
		}
		fmt.Fprintf(w, "dataset  rows %s; id %s (recorded %s, rebuilt %s)\n", mark(rep.SameRows), mark(rep.SameDatasetID),
			shortID(rep.DatasetRecorded), shortID(rep.DatasetRebuilt))
		fmt.Fprintf(w, "model    %s\nmetrics  %s\n", mark(rep.SameModel), mark(rep.SameMetrics))
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note     %s\n", n)
	}
	for _, d := range rep.Differences {
		fmt.Fprintf(w, "differs  %s\n", d)
	}
	if rep.Identical {
		fmt.Fprintln(w, "reproduced: identical")
	} else {
		fmt.Fprintln(w, "not reproduced")
	}
}
