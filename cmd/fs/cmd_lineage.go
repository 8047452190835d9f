package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/badger"
	"github.com/fs-dev/fs/lineage"
)

type lineageOptions struct {
	upstream, downstream bool
	depth                int
	format               string
	json                 bool
}

func newLineageCmd(a *app) *cobra.Command {
	var o lineageOptions
	cmd := &cobra.Command{
		Use:   "lineage ID [--upstream|--downstream] [--format text|json|dot|mermaid]",
		Short: "Show what went into a run, dataset or feature, or what came out of it",
		Long: `Walk the lineage graph from a run, a dataset, a feature version (NAME@VERSION),
every version of a feature (NAME) or a feature set: --upstream (the default)
shows what went into it down to source snapshots, --downstream what came out of
it up to registered model versions. Ids may be any unique prefix.

Arguments:
  ID   a run or dataset id (prefix), NAME@VERSION, a feature name or a feature set name

Exit codes: 0 ok, 1 error (unknown or ambiguous id), 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: `  fs lineage 3f9a1c2b --upstream
  fs lineage conv_rate --downstream
  fs lineage RUN --format dot | dot -Tsvg > lineage.svg
  fs lineage export --openlineage > events.jsonl`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if o.upstream && o.downstream {
				return usageError{fmt.Errorf("give --upstream or --downstream, not both")}
			}
			if o.json {
				o.format = "json"
			}
			render, ok := map[string]func(io.Writer, []*lineage.Tree, lineage.Direction) error{
				"text": lineage.Text, "dot": lineage.DOT, "mermaid": lineage.Mermaid,
				"json": func(w io.Writer, t []*lineage.Tree, _ lineage.Direction) error { return lineage.JSON(w, t) },
			}[o.format]
			if !ok {
				return usageError{fmt.Errorf("unknown --format %q (text, json, dot or mermaid)", o.format)}
			}
			dir := lineage.Upstream
			if o.downstream {
				dir = lineage.Downstream
			}
			ctx := cmd.Context()
			store, err := a.openStore(true)
			if err != nil {
				return err
			}
			defer store.Close()
			roots, err := resolveNodes(ctx, store, argv[0])
			if err != nil {
				return err
			}
			records := store.Lineage()
			defer records.Close()
			trees, err := lineage.Walk(ctx, lineage.NewGraph(records), roots, dir, o.depth)
			if err != nil {
				return err
			}
			return render(a.st.Stdout, trees, dir)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.upstream, "upstream", false, "what went into it (the default)")
	f.BoolVar(&o.downstream, "downstream", false, "what came out of it")
	f.IntVar(&o.depth, "depth", 10, "the most edges to walk")
	f.StringVar(&o.format, "format", "text", "text, json, dot or mermaid")
	f.BoolVar(&o.json, "json", false, "same as --format json")
	cmd.AddCommand(newLineageExportCmd(a))
	return cmd
}

// resolveNodes turns a user's argument into lineage roots.
func resolveNodes(ctx context.Context, store *badger.Store, arg string) ([]lineage.NodeID, error) {
	if name, prefix, ok := strings.Cut(arg, "@"); ok {
		ref, err := featurestore.ResolveRef(ctx, store, name, prefix)
		if err == nil {
			return []lineage.NodeID{lineage.ID(lineage.FeatureVersion, ref.Version.String())}, nil
		}
		if hist, serr := store.FeatureSetHistory(ctx, name); serr == nil {
			for _, h := range hist {
				if strings.HasPrefix(h.Version.String(), strings.ToLower(prefix)) {
					return []lineage.NodeID{lineage.ID(lineage.FeatureSet, h.Version.String())}, nil
				}
			}
		}
		return nil, err
	}
	if hist, err := store.FeatureHistory(ctx, arg); err == nil {
		return historyNodes(hist, lineage.FeatureVersion), nil
	}
	if hist, err := store.FeatureSetHistory(ctx, arg); err == nil {
		return historyNodes(hist, lineage.FeatureSet), nil
	}
	if !featurestore.IsIDPrefix(arg) {
		return nil, featurestore.Errorf(featurestore.ENOTFOUND, "no feature, feature set, dataset or run %q", arg).
			WithHint("fs features list, fs datasets list and fs runs list show what there is")
	}
	var found []lineage.NodeID
	if id, err := store.ResolveRun(ctx, arg); err == nil {
		found = append(found, lineage.ID(lineage.Run, id.String()))
	}
	if id, err := store.ResolveDataset(ctx, arg); err == nil {
		found = append(found, lineage.ID(lineage.Dataset, id.String()))
	}
	if id, err := store.ResolveFeatureVersion(ctx, arg); err == nil {
		found = append(found, lineage.ID(lineage.FeatureVersion, id.String()))
	}
	switch len(found) {
	case 0:
		return nil, featurestore.Errorf(featurestore.ENOTFOUND, "no run, dataset or feature version %s", arg).
			WithHint("fs runs list and fs datasets list show the ids; give more characters if several share a prefix")
	case 1:
		return found, nil
	}
	return nil, featurestore.Errorf(featurestore.EINVALID, "%s is the start of several ids: %v", arg, found).
		WithHint("give more characters")
}

func historyNodes(hist []featurestore.HistoryEntry, k lineage.Kind) []lineage.NodeID {
	seen := map[featurestore.ID]bool{}
	var out []lineage.NodeID
	for _, h := range hist {
		if !seen[h.Version] {
			seen[h.Version] = true
			out = append(out, lineage.ID(k, h.Version.String()))
		}
	}
	return out
}

// impactReport is what fs impact prints.
type impactReport struct {
	Roots    []*lineage.Node `json:"roots"`
	Models   []*lineage.Node `json:"registered_models"`
	Runs     []*lineage.Node `json:"runs"`
	Sweeps   []*lineage.Node `json:"sweeps"` // the sweeps the runs belong to, not counted as runs
	Datasets []*lineage.Node `json:"datasets"`
	Features []*lineage.Node `json:"dependent_features"`
	Sets     []*lineage.Node `json:"feature_sets"`
}

func newImpactCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "impact FEATURE[@VERSION]",
		Short: "What a change to a feature would affect: models, runs, datasets",
		Long: `Answer "if I change this feature, which models will be affected?": every registered
model version, run, dataset, dependent feature and feature set built from the
feature (all its versions, or one with @VERSION), registered models first.

Exit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs impact conv_rate\n  fs impact trips_per_hour@9ca43bf6 --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ctx := cmd.Context()
			store, err := a.openStore(true)
			if err != nil {
				return err
			}
			defer store.Close()
			roots, err := resolveNodes(ctx, store, argv[0])
			if err != nil {
				return err
			}
			records := store.Lineage()
			defer records.Close()
			g := lineage.NewGraph(records)
			reach, err := lineage.Reach(ctx, g, roots, lineage.Downstream)
			if err != nil {
				return err
			}
			rep := impactReport{}
			nodes := func(ids []lineage.NodeID) ([]*lineage.Node, error) {
				out := []*lineage.Node{}
				for _, id := range ids {
					n, err := g.Node(ctx, id)
					if err != nil {
						return nil, err
					}
					out = append(out, n)
				}
				return out, nil
			}
			if rep.Roots, err = nodes(roots); err != nil {
				return err
			}
			for _, part := range []struct {
				dst  *[]*lineage.Node
				kind lineage.Kind
			}{{&rep.Models, lineage.ModelVersion}, {&rep.Runs, lineage.Run}, {&rep.Datasets, lineage.Dataset},
				{&rep.Features, lineage.FeatureVersion}, {&rep.Sets, lineage.FeatureSet}} {
				if *part.dst, err = nodes(reach[part.kind]); err != nil {
					return err
				}
			}
			rep.Runs, rep.Sweeps = splitSweeps(rep.Runs)
			if asJSON {
				return writeJSON(a.st.Stdout, rep)
			}
			w := a.st.Stdout
			var labels []string
			for _, r := range rep.Roots {
				labels = append(labels, r.Label)
			}
			fmt.Fprintf(w, "changing %s affects %s, %s (%s), %s, %s, %s\n",
				strings.Join(labels, ", "), plural(len(rep.Models), "registered model version"), plural(len(rep.Runs), "run"),
				"in "+plural(len(rep.Sweeps), "sweep"), plural(len(rep.Datasets), "dataset"),
				plural(len(rep.Features), "dependent feature"), plural(len(rep.Sets), "feature set"))
			for _, sec := range []struct {
				title string
				nodes []*lineage.Node
			}{{"REGISTERED MODELS", rep.Models}, {"RUNS", rep.Runs}, {"SWEEPS", rep.Sweeps}, {"DATASETS", rep.Datasets},
				{"DEPENDENT FEATURES", rep.Features}, {"FEATURE SETS", rep.Sets}} {
				if len(sec.nodes) == 0 {
					continue
				}
				fmt.Fprintf(w, "\n%s\n", sec.title)
				sort.SliceStable(sec.nodes, func(i, j int) bool { return sec.nodes[i].Label < sec.nodes[j].Label })
				for _, n := range sec.nodes {
					fmt.Fprintf(w, "  %s%s\n", n.Label, attrs(n))
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// splitSweeps separates the sweeps from the runs.
func splitSweeps(nodes []*lineage.Node) (runs, sweeps []*lineage.Node) {
	runs, sweeps = []*lineage.Node{}, []*lineage.Node{}
	for _, n := range nodes {
		if n.Attrs[lineage.AttrSweepOf] != "" {
			sweeps = append(sweeps, n)
		} else {
			runs = append(runs, n)
		}
	}
	return runs, sweeps
}

func attrs(n *lineage.Node) string {
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+n.Attrs[k])
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

func newLineageExportCmd(a *app) *cobra.Command {
	var openlineage bool
	cmd := &cobra.Command{
		Use:   "export --openlineage",
		Short: "Export OpenLineage run events for materialize and train jobs",
		Long: `Write one OpenLineage RunEvent per line (JSON Lines) on stdout: a START and a
COMPLETE event for every materialize job (inputs: source snapshots and the entity
file; output: the dataset) and every train job (input: the dataset; output: the
model), with schema and dataset-version facets. Valid against the OpenLineage 2-0-2
schemas.

Exit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs lineage export --openlineage > events.jsonl",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !openlineage {
				return usageError{fmt.Errorf("give --openlineage (the one export format)")}
			}
			ctx := cmd.Context()
			store, err := a.openStore(true)
			if err != nil {
				return err
			}
			defer store.Close()
			datasets, err := store.Datasets(ctx)
			if err != nil {
				return err
			}
			runs, err := store.Runs(ctx)
			if err != nil {
				return err
			}
			return lineage.WriteOpenLineage(a.st.Stdout, datasets, runs)
		},
	}
	cmd.Flags().BoolVar(&openlineage, "openlineage", false, "OpenLineage run events, one JSON document per line")
	return cmd
}
