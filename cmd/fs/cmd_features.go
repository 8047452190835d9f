package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/format"
)

func newFeaturesCmd(a *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "features",
		Short: "List, show and compare registered features",
	}
	cmd.AddCommand(newFeaturesListCmd(a), newFeaturesShowCmd(a), newFeaturesDiffCmd(a), newFeatureSetsCmd(a))
	return cmd
}

func newFeaturesListCmd(a *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List registered features with their current version",
		Long:    "List every registered feature name with its current version, type, source and number of versions.\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.",
		Example: "  fs features list\n  fs features list --json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			heads, err := a.api().Features(a.ctx(cmd))
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, heads)
			}
			t := newTable(a.st.Stdout, "FEATURE", "VERSION", "TYPE", "SOURCE", "VERSIONS", "UPDATED", "DESCRIPTION")
			for _, h := range heads {
				t.row(h.Name, h.Current.Short(), string(h.Type), h.Source, fmt.Sprint(h.Versions), fmtTime(h.Updated), h.Metadata.Description)
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func newFeaturesShowCmd(a *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show every version of a feature, newest first",
		Long: `Show every version a feature name has had, newest first: version, created,
type, ttl, source and expression. The current version is marked with *.

Arguments:
  NAME   a registered feature name

Exit codes: 0 ok, 1 error (such as an unknown name), 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs features show trips_per_hour\n  fs features show trips_per_hour --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			res, err := a.api().Feature(a.ctx(cmd), argv[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, res)
			}
			t := newTable(a.st.Stdout, "", "VERSION", "CREATED", "TYPE", "TTL", "SOURCE", "EXPR")
			for _, v := range res.Versions {
				mark := ""
				if v.Current {
					mark = "*"
				}
				t.row(mark, v.ID.Short(), fmtTime(v.Created), string(v.Type), format.TTL(v.TTL), v.Source.Name, v.Aggregation.Describe(v.Expr))
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func newFeaturesDiffCmd(a *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff NAME[@VERSION] NAME[@VERSION]",
		Short: "Compare two feature versions field by field",
		Long: `Compare what two feature versions compute: expression, type, ttl, source
fields, columns read and features depended on. A name without @VERSION means
its current version; a version may be any unique prefix.

Exit codes: 0 ok (whether or not they differ), 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs features diff trips_per_hour@3f9a1c2b4d5e trips_per_hour@77c0e1a9b2f3\n  fs features diff conv_rate@3f9a conv_rate --json",
		Args:    args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			res, err := a.api().Diff(a.ctx(cmd), argv[0], argv[1])
			if err != nil {
				return err
			}
			refs := [2]featurestore.FeatureRef{res.A, res.B}
			if asJSON {
				return writeJSON(a.st.Stdout, res)
			}
			w := a.st.Stdout
			fmt.Fprintf(w, "--- %s@%s\n+++ %s@%s\n", refs[0].Name, refs[0].Version.Short(), refs[1].Name, refs[1].Version.Short())
			if res.Identical {
				fmt.Fprintln(w, "same version: identical computation")
				return nil
			}
			for _, c := range res.Changes {
				fmt.Fprintf(w, "%s:\n  - %s\n  + %s\n", c.Field, c.A, c.B)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func newFeatureSetsCmd(a *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "sets",
		Short:   "List feature sets with their current version and members",
		Long:    "List every registered feature set with its current version and its members' versions.\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.",
		Example: "  fs features sets\n  fs features sets --json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := a.api().FeatureSets(a.ctx(cmd))
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, out)
			}
			t := newTable(a.st.Stdout, "SET", "VERSION", "VERSIONS", "MEMBERS")
			for _, s := range out {
				var m []string
				for _, r := range s.Members {
					m = append(m, r.Name+"@"+r.Version.Short())
				}
				t.row(s.Name, s.Current.Short(), fmt.Sprint(s.Versions), strings.Join(m, ", "))
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}
