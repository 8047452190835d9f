package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	fshttp "github.com/fs-dev/fs/http"
)

func newJobsCmd(a *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List, show and cancel your jobs on an fs server",
		Long: `Long commands run on an fs server as jobs (materialize, train, predict, sync,
reproduce, profile, validate). A job goes on when its client stops following
it, so these commands find it again: its state, progress, warnings and, once
done, its result (what the command prints with --json) or its error.`,
	}
	cmd.AddCommand(newJobsListCmd(a), newJobsShowCmd(a), newJobsCancelCmd(a))
	return cmd
}

func newJobsListCmd(a *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List your jobs on the server, newest first (an admin token: everyone's)",
		Long:    "List your jobs on the fs server (--store URL or FS_STORE), newest first; an admin token lists everyone's.\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no server at the URL.",
		Example: "  FS_STORE=http://127.0.0.1:7070 fs jobs list",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.serverOnly("fs jobs"); err != nil {
				return err
			}
			jobs, err := a.client().Jobs(a.ctx(cmd))
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.st.Stdout, jobs)
			}
			t := newTable(a.st.Stdout, "JOB", "KIND", "OWNER", "STATE", "CREATED", "TOOK", "PROGRESS")
			for _, j := range jobs {
				t.row(j.ID, j.Kind, j.Owner, j.State, fmtTime(j.Created), took(j), progressText(j.Progress))
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func newJobsShowCmd(a *cli) *cobra.Command {
	return newJobCmd(a, &cobra.Command{
		Use:     "show JOB",
		Short:   "Show a job: state, progress, warnings, and its result or error",
		Long:    "Show a job of the fs server: its state, progress and warnings, and once done its result (the command's --json) or its error.\n\nArguments:\n  JOB   a job id (fs jobs list)\n\nExit codes: 0 ok, 1 error (or the job failed), 2 usage, 10 no server at the URL.",
		Example: "  fs jobs show 3f9a1c2b4d5e6f7a8b9c0d1e --json",
	}, func(ctx context.Context, c *fshttp.Client, id string) (*fshttp.WireJob, error) { return c.Job(ctx, id) })
}

func newJobsCancelCmd(a *cli) *cobra.Command {
	return newJobCmd(a, &cobra.Command{
		Use:     "cancel JOB",
		Short:   "Cancel a job: it records nothing",
		Long:    "Cancel a running job of the fs server (yours; an admin token: anyone's). Its writes are transactions: a cancelled job records nothing.\n\nArguments:\n  JOB   a job id (fs jobs list)\n\nExit codes: 0 ok, 1 error, 2 usage, 10 no server at the URL.",
		Example: "  fs jobs cancel 3f9a1c2b4d5e6f7a8b9c0d1e",
	}, func(ctx context.Context, c *fshttp.Client, id string) (*fshttp.WireJob, error) {
		j, err := c.CancelJob(ctx, id)
		if j != nil {
			j.Error = nil // the cancel succeeded: the job's own error is not this command's
		}
		return j, err
	})
}

// newJobCmd completes a command taking one job id: it asks the server
// with do and prints the job.
func newJobCmd(a *cli, cmd *cobra.Command, do func(context.Context, *fshttp.Client, string) (*fshttp.WireJob, error)) *cobra.Command {
	var asJSON bool
	cmd.Args = args(cobra.ExactArgs(1))
	cmd.RunE = func(cmd *cobra.Command, argv []string) error {
		if err := a.serverOnly("fs jobs"); err != nil {
			return err
		}
		j, err := do(a.ctx(cmd), a.client(), argv[0])
		if err != nil {
			return err
		}
		return a.printJob(j, asJSON)
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// printJob prints a job; a failed job is also the command's error.
func (a *cli) printJob(j *fshttp.WireJob, asJSON bool) error {
	if asJSON {
		if err := writeJSON(a.st.Stdout, j); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.st.Stdout, "job      %s\nkind     %s\nowner    %s\nstate    %s\ncreated  %s\ntook     %s\nprogress %s\n",
			j.ID, j.Kind, j.Owner, j.State, fmtTime(j.Created), took(j.Job), progressText(j.Progress))
		for _, n := range j.Notices {
			fmt.Fprintf(a.st.Stdout, "notice   %s\n", n)
		}
		if len(j.Result) > 0 {
			fmt.Fprintf(a.st.Stdout, "result   (fs jobs show %s --json prints it)\n", j.ID)
		}
	}
	if j.Error != nil {
		return j.Error.Err()
	}
	return nil
}

func took(j fshttp.Job) string {
	if j.Finished == nil {
		return "-"
	}
	return fmtSeconds(j.Finished.Sub(j.Created).Seconds())
}

func progressText(p *fshttp.Progress) string {
	if p == nil || p.Total == 0 {
		return "-"
	}
	return fmt.Sprintf("%d of %d", p.Done, p.Total)
}
