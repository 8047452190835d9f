package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
)

func newInitCmd(a *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the store",
		Long: `Create the store directory (./.fs, --store DIR or FS_STORE).
Running it on an existing store changes nothing.

Exit codes: 0 ok, 1 error, 2 usage, 11 the store is in use by another fs process, 12 the store is damaged.`,
		Example: "  fs init\n  fs init --store /data/fs",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.localOnly("fs init"); err != nil {
				return err
			}
			dir := a.newStoreDir()
			created, err := app.Init(dir)
			if err != nil {
				return err
			}
			if created {
				fmt.Fprintf(a.st.Stderr, "fs: created store at %s\n", dir)
			} else {
				fmt.Fprintf(a.st.Stderr, "fs: store at %s already exists; nothing changed\n", dir)
			}
			return nil
		},
	}
}
