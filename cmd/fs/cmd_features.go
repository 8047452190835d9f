package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/featurestore"
)

func newFeaturesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "features",
		Short: "List, show and compare registered features",
	}
	cmd.AddCommand(newFeaturesListCmd(a), newFeaturesShowCmd(a), newFeaturesDiffCmd(a), newFeatureSetsCmd(a))
	return cmd
}

func newFeaturesListCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List registered features with their current version",
		Long:    "List every registered feature name with its current version, type, source and number of versions.\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.",
		Example: "  fs features list\n  fs features list --json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.openStore(true)
			if err != nil {
				return err
			}
			defer store.Close()
			heads, err := store.FeatureHeads(cmd.Context())
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

type versionInfo struct {
	*featurestore.FeatureVersion
	Current    bool      `json:"current"`
	Registered time.Time `json:"registered"` // when the name last pointed at it
}

type showResult struct {
	Name     string                `json:"name"`
	Current  featurestore.ID       `json:"current"`
	Metadata featurestore.Metadata `json:"metadata"`
	Versions []versionInfo         `json:"versions"`
}

func newFeaturesShowCmd(a *app) *cobra.Command {
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
			ctx := cmd.Context()
			store, err := a.openStore(true)
			if err != nil {
				return err
			}
			defer store.Close()
			res, err := showFeature(ctx, store, argv[0])
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
				t.row(mark, v.ID.Short(), fmtTime(v.Created), string(v.Type), fmtTTL(v.TTL), v.Source.Name, oneLine(v.Expr))
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func showFeature(ctx context.Context, reg featurestore.Registry, name string) (*showResult, error) {
	head, err := reg.FeatureHead(ctx, name)
	if err != nil {
		return nil, err
	}
	hist, err := reg.FeatureHistory(ctx, name)
	if err != nil {
		return nil, err
	}
	res := &showResult{Name: name, Current: head.Current, Metadata: head.Metadata}
	seen := map[featurestore.ID]bool{}
	for _, h := range hist {
		if seen[h.Version] {
			continue
		}
		seen[h.Version] = true
		v, err := reg.FeatureVersion(ctx, h.Version)
		if err != nil {
			return nil, err
		}
		res.Versions = append(res.Versions, versionInfo{FeatureVersion: v, Current: h.Version == head.Current, Registered: h.Registered})
	}
	return res, nil
}

type diffChange struct {
	Field string `json:"field"`
	A     string `json:"a"`
	B     string `json:"b"`
}

type diffResult struct {
	A         featurestore.FeatureRef `json:"a"`
	B         featurestore.FeatureRef `json:"b"`
	Identical bool                    `json:"identical"`
	Changes   []diffChange            `json:"changes"`
}

func newFeaturesDiffCmd(a *app) *cobra.Command {
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
			ctx := cmd.Context()
			store, err := a.openStore(true)
			if err != nil {
				return err
			}
			defer store.Close()
			var refs [2]featurestore.FeatureRef
			var vers [2]*featurestore.FeatureVersion
			for i, arg := range argv {
				if refs[i], err = featurestore.ResolveArg(ctx, store, arg); err != nil {
					return err
				}
				if vers[i], err = store.FeatureVersion(ctx, refs[i].Version); err != nil {
					return err
				}
			}
			res := diffResult{A: refs[0], B: refs[1], Changes: diffVersions(vers[0], vers[1])}
			res.Identical = refs[0].Version == refs[1].Version
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

// diffVersions lists the fields that differ, in descriptor order, then the
// metadata.
func diffVersions(a, b *featurestore.FeatureVersion) []diffChange {
	fields := func(v *featurestore.FeatureVersion) [][2]string {
		var cols, deps []string
		for _, c := range v.Columns {
			cols = append(cols, c.Name+" "+c.Physical)
		}
		for _, d := range v.DependsOn {
			deps = append(deps, d.Name+"@"+d.Version.Short())
		}
		return [][2]string{
			{"expr", oneLine(v.Expr)},
			{"canonical", v.Canonical},
			{"type", string(v.Type)},
			{"ttl", fmtTTL(v.TTL)},
			{"entity", v.Source.Entity + " (" + strings.Join(v.JoinKeys, ", ") + ")"},
			{"timestamp_field", v.Source.TimestampField},
			{"created_timestamp_field", v.Source.CreatedTimestampField},
			{"columns", strings.Join(cols, ", ")},
			{"depends_on", strings.Join(deps, ", ")},
			{"source", v.Source.Name + " " + v.Source.Path},
			{"description", v.Metadata.Description},
		}
	}
	fa, fb := fields(a), fields(b)
	out := []diffChange{}
	for i := range fa {
		if fa[i][1] != fb[i][1] {
			out = append(out, diffChange{Field: fa[i][0], A: fa[i][1], B: fb[i][1]})
		}
	}
	return out
}

func newFeatureSetsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "sets",
		Short:   "List feature sets with their current version and members",
		Long:    "List every registered feature set with its current version and its members' versions.\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.",
		Example: "  fs features sets\n  fs features sets --json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			store, err := a.openStore(true)
			if err != nil {
				return err
			}
			defer store.Close()
			heads, err := store.FeatureSetHeads(ctx)
			if err != nil {
				return err
			}
			type setInfo struct {
				featurestore.FeatureSetHead
				Members []featurestore.FeatureRef `json:"members"`
			}
			out := []setInfo{}
			for _, h := range heads {
				v, err := store.FeatureSetVersion(ctx, h.Current)
				if err != nil {
					return err
				}
				out = append(out, setInfo{FeatureSetHead: h, Members: v.Members})
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
