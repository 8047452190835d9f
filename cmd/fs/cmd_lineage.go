package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/web"
)

type lineageOptions struct {
	upstream, downstream bool
	depth                int
	format               string
	json                 bool
}

func newLineageCmd(a *cli) *cobra.Command {
	var o lineageOptions
	cmd := &cobra.Command{
		Use:   "lineage ID [--upstream|--downstream] [--format text|json|dot|mermaid|svg]",
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
  fs lineage RUN --format svg > lineage.svg
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
				"svg": func(w io.Writer, t []*lineage.Tree, d lineage.Direction) error {
					svg, err := web.NewGraph(t, d).SVG(cmd.Context(), web.NoLinks)
					if err == nil {
						_, err = io.WriteString(w, string(svg)+"\n")
					}
					return err
				},
			}[o.format]
			if !ok {
				return usageError{fmt.Errorf("unknown --format %q (text, json, dot, mermaid or svg)", o.format)}
			}
			req := app.LineageRequest{ID: argv[0], Direction: lineage.Upstream, Depth: o.depth}
			if o.downstream {
				req.Direction = lineage.Downstream
			}
			trees, err := a.api().Lineage(a.ctx(cmd), req)
			if err != nil {
				return err
			}
			return render(a.st.Stdout, trees, req.Direction)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.upstream, "upstream", false, "what went into it (the default)")
	f.BoolVar(&o.downstream, "downstream", false, "what came out of it")
	f.IntVar(&o.depth, "depth", 10, "the most edges to walk")
	f.StringVar(&o.format, "format", "text", "text, json, dot, mermaid or svg (laid out by fs)")
	f.BoolVar(&o.json, "json", false, "same as --format json")
	cmd.AddCommand(newLineageExportCmd(a))
	return cmd
}

func newImpactCmd(a *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "impact FEATURE[@VERSION] | SOURCE",
		Short: "What a change to a feature or source would affect: models, runs, datasets",
		Long: `Answer "if I change this feature, which models will be affected?": every registered
model version, run, dataset, dependent feature and feature set built from the
feature (all its versions, or one with @VERSION), registered models first.
Given a source's name (or source:NAME when a feature has the same name), the
same for every feature that reads the source.

Exit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs impact conv_rate\n  fs impact trips_per_hour@ab7a234b --json\n  fs impact driver_stats",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			rep, err := a.api().Impact(a.ctx(cmd), argv[0])
			if err != nil {
				return err
			}
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

func attrs(n *lineage.Node) string {
	parts := n.AttrPairs(" ")
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

func newLineageExportCmd(a *cli) *cobra.Command {
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
			return a.api().OpenLineage(a.ctx(cmd), a.st.Stdout)
		},
	}
	cmd.Flags().BoolVar(&openlineage, "openlineage", false, "OpenLineage run events, one JSON document per line")
	return cmd
}
