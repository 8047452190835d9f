package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
)

type registerOptions struct {
	dryRun bool
	json   bool
}

func newRegisterCmd(a *cli) *cobra.Command {
	var o registerOptions
	cmd := &cobra.Command{
		Use:   "register FILE",
		Short: "Register every definition in a YAML file, atomically",
		Long: `Register the entities, sources, features and feature sets of FILE.

Every expression is parsed and type-checked against its source's parquet
schema. Each feature gets a version: the hash of what it computes. Either all
definitions are recorded or, on any error, none.

For each source, feature and feature set it prints the version and whether
it is new, unchanged or changed (and from which version; for a source, which
of its fields changed). A source's version covers where its data lives and
how it is keyed, and enters the versions of the features on it. A new name
with a computation that already exists under another name, over the same
data, is shown as such (a rename).

Arguments:
  FILE   the definition file (YAML); source paths are relative to it

Exit codes: 0 ok, 1 error, 2 usage, 10 no store, 11 store in use, 12 store damaged.`,
		Example: "  fs register features.yaml\n  fs register features.yaml --dry-run --json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.runRegister(cmd, argv[0], o)
		},
	}
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "check and show what would change, record nothing")
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func (a *cli) runRegister(cmd *cobra.Command, file string, o registerOptions) error {
	res, err := a.api().Register(a.ctx(cmd), app.RegisterRequest{File: file, DryRun: o.dryRun})
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(a.st.Stdout, res)
	}
	t := newTable(a.st.Stdout, "FEATURE", "VERSION", "TYPE", "STATUS")
	for _, ch := range res.Sources {
		t.row("source "+ch.Name, ch.ID.Short(), "-", statusText(ch.Status, ch.Previous, nil)+changesText(ch.Changes))
	}
	for _, ch := range res.Features {
		t.row(ch.Name, ch.ID.Short(), string(ch.Type), statusText(ch.Status, ch.Previous, ch.SameAs))
	}
	for _, ch := range res.FeatureSets {
		t.row("set "+ch.Name, ch.ID.Short(), "-", statusText(ch.Status, ch.Previous, nil))
	}
	return t.flush()
}

// changesText is " (path: a -> b; format: ...)" for a source's changed
// fields, or "".
func changesText(changes []featurestore.FieldChange) string {
	if len(changes) == 0 {
		return ""
	}
	var parts []string
	for _, c := range changes {
		parts = append(parts, c.Field+": "+orDash(c.A)+" -> "+orDash(c.B))
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func statusText(s featurestore.Status, prev *featurestore.ID, sameAs []string) string {
	out := string(s)
	if prev != nil {
		out += " (from " + prev.Short() + ")"
	}
	if len(sameAs) > 0 {
		out += " (same computation as " + strings.Join(sameAs, ", ") + ")"
	}
	return out
}
