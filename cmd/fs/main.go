package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	fshttp "github.com/fs-dev/fs/http"
	"github.com/fs-dev/fs/internal/initgc"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/internal/termsafe"
)

// Exit codes, documented in fs --help.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitNoStore = 10
	exitLocked  = 11
	exitDamaged = 12  // the store's files are damaged (fs doctor)
	exitSignal  = 130 // interrupted (Ctrl-C or SIGTERM)
)

// init turns the garbage collector back on: every other package has
// initialized by now (see internal/initgc).
func init() { initgc.Restore() }

func main() {
	if path := os.Getenv("FS_CPUPROFILE"); path != "" { // for measuring where the time goes (docs/benchmarks.md)
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], &State{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	pprof.StopCPUProfile()
	os.Exit(code)
}

// State is what a command reads and writes besides its flags, so tests can
// capture output.
type State struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// usageError marks a bad command line (exit code 2).
type usageError struct{ error }

// Main runs the command line args and returns the exit code. A panic (a
// bug: no input should reach one) is reported in a sentence with exit code
// 1, not as a stack trace with Go's exit code 2, which means usage.
func Main(ctx context.Context, args []string, st *State) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(st.Stderr, "fs: error: internal error: %v\n", r)
			fmt.Fprintf(st.Stderr, "fs: hint: this is a bug in fs; please report it with the command line that caused it\n")
			code = exitError
		}
	}()
	// What fs prints may hold other people's text (descriptions, paths,
	// a server's messages): control characters are escaped on stdout and
	// in messages, never sent raw to a terminal.
	st = &State{Stdin: st.Stdin, Stdout: termsafe.Writer(st.Stdout), Stderr: st.Stderr, Getenv: st.Getenv}
	root := newRootCmd(st)
	root.SetArgs(args)
	root.SetIn(st.Stdin)
	root.SetOut(st.Stdout)
	root.SetErr(st.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if msg := err.Error(); strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag") || strings.HasPrefix(msg, "required flag") {
		err = usageError{err}
	}
	if st.Getenv(errorsEnv) == "json" {
		writeErrorJSON(st.Stderr, err)
	} else {
		printError(termsafe.Writer(st.Stderr), err)
	}
	var ue usageError
	var ge gateError
	var nr notReproduced
	var vf validationFailed
	switch {
	case errors.As(err, &vf):
		return exitValidation
	case errors.As(err, &nr):
		return exitNotReproduced
	case errors.As(err, &ue), featurestore.ErrorCode(err) == featurestore.EUSAGE:
		return exitUsage
	case errors.As(err, &ge):
		return exitGate
	case featurestore.ErrorCode(err) == featurestore.ENOSTORE:
		return exitNoStore
	case featurestore.ErrorCode(err) == featurestore.ELOCKED:
		return exitLocked
	case featurestore.ErrorCode(err) == featurestore.EDAMAGED:
		return exitDamaged
	case errors.Is(err, context.Canceled):
		return exitSignal
	}
	return exitError
}

// errorsEnv, set to json, makes fs write an error as one JSON document on
// stderr: the HTTP API's error body, so that a program (the Python client)
// reads a local command's errors as it reads a server's.
const errorsEnv = "FS_ERRORS"

func writeErrorJSON(w io.Writer, err error) {
	var ue usageError
	if errors.As(err, &ue) {
		err = &featurestore.Error{Code: featurestore.EUSAGE, Message: ue.error.Error(), Hint: usageHint(ue)}
	}
	json.NewEncoder(w).Encode(struct {
		Error *fshttp.ErrorBody `json:"error"`
	}{fshttp.NewErrorBody(err)})
}

// usageHint is a usage error's own hint, else where usage is explained.
func usageHint(ue usageError) string {
	if hint := featurestore.ErrorHint(ue.error); hint != "" {
		return hint
	}
	return "run fs --help, or fs COMMAND --help, for usage"
}

// printError writes err for a person: "fs: error: ..." lines, excerpts,
// then "fs: hint: ..." lines.
func printError(w io.Writer, err error) {
	var list featurestore.Errors
	if errors.As(err, &list) {
		for _, e := range list {
			printError(w, e)
		}
		if len(list) > 1 {
			fmt.Fprintf(w, "fs: %d problems; nothing was changed\n", len(list))
		}
		return
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "fs: error: %s\n", ue.error)
		fmt.Fprintf(w, "fs: hint: %s\n", usageHint(ue))
		return
	}
	var in app.Interrupted
	if errors.As(err, &in) {
		fmt.Fprintf(w, "fs: error: %s\n", in)
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "fs: error: interrupted; nothing was changed\n")
		return
	}
	fmt.Fprintf(w, "fs: error: %s\n", err)
	var fe *featurestore.Error
	if errors.As(err, &fe) {
		for _, d := range fe.Detail {
			fmt.Fprintf(w, "%s\n", d)
		}
	}
	if hint := featurestore.ErrorHint(err); hint != "" {
		fmt.Fprintf(w, "fs: hint: %s\n", hint)
	}
}

func newRootCmd(st *State) *cobra.Command {
	a := &cli{st: st}
	root := &cobra.Command{
		Use:   "fs",
		Short: "fs versions features, builds point-in-time training sets and tracks their lineage",
		Long: `fs versions feature definitions by what they compute, builds point-in-time correct
training sets from parquet, trains pinned models and records the lineage.

The store is a directory: --store DIR, or FS_STORE, or else the nearest .fs in
this directory or one above it (as git finds .git); fs init creates ./.fs.

Exit codes:
  0   ok
  1   error
  2   usage (bad flags or arguments)
  3   fs train: the quality gate failed (the run is recorded, marked failing)
  4   fs reproduce: the rebuild is not identical
  5   fs validate: an expectation does not hold
  10  no store at the given path (run fs init)
  11  the store is in use by another fs process
  12  the store is damaged (nothing was changed; see fs doctor)
  130 interrupted (Ctrl-C); nothing was changed`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       featurestore.Version,
	}
	root.SetVersionTemplate("fs {{.Version}}\n")
	root.PersistentFlags().StringVar(&a.storeFlag, "store", "", "store directory, or an fs server's URL (default $FS_STORE, else ./.fs)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newInitCmd(a), newRegisterCmd(a), newFeaturesCmd(a), newMaterializeCmd(a), newDatasetsCmd(a), newTrainCmd(a), newPredictCmd(a), newRunsCmd(a), newSyncCmd(a), newLineageCmd(a), newImpactCmd(a), newReproduceCmd(a), newProfileCmd(a), newValidateCmd(a), newDemoCmd(a), newDoctorCmd(a), newServeCmd(a), newJobsCmd(a), newOnlineCmd(a), newPushCmd(a))
	return root
}

// cli holds what every command shares.
type cli struct {
	st        *State
	storeFlag string
	// onlineFlag is --online of the commands that use the online store.
	onlineFlag string
}

// storeDir resolves the store directory: --store, FS_STORE, else the
// nearest .fs holding a store in this directory or one above it (as git
// finds .git), else ./.fs.
func (a *cli) storeDir() string {
	if a.storeFlag != "" {
		return a.storeFlag
	}
	if d := a.st.Getenv("FS_STORE"); d != "" {
		return d
	}
	if d := findStore(); d != "" {
		return d
	}
	return ".fs"
}

// newStoreDir is where fs init creates a store: --store, FS_STORE, or
// ./.fs (never a store found above).
func (a *cli) newStoreDir() string {
	if a.storeFlag != "" {
		return a.storeFlag
	}
	if d := a.st.Getenv("FS_STORE"); d != "" {
		return d
	}
	return ".fs"
}

// findStore walks up from the working directory to the nearest .fs that
// holds a store, and returns it relative to the working directory.
func findStore() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if cand := filepath.Join(dir, ".fs"); app.IsStore(cand) {
			if rel, err := filepath.Rel(wd, cand); err == nil {
				return rel
			}
			return cand
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// args wraps a cobra positional-argument check so that its failure is a
// usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// sizeFlag reads a size flag as people write it ("512MB", "2GiB",
// bytes; membudget.Parse); "" is 0.
func sizeFlag(name, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := membudget.Parse(v)
	if err != nil || n == 0 {
		return 0, usageError{fmt.Errorf("%s: %q is not a size: give e.g. 512MB or 2GB (powers of 1000), 512MiB or 2GiB (powers of 1024)", name, v)}
	}
	return n, nil
}

// memoryEnv is the environment variable that sets the memory ceiling of
// a command (membudget.Budget).
const memoryEnv = "FS_MEMORY_LIMIT"

// budget is the command's memory budget: FS_MEMORY_LIMIT as its ceiling
// (with its default spill threshold), else membudget's default.
func (a *cli) budget() (membudget.Budget, error) {
	v := a.st.Getenv(memoryEnv)
	if v == "" {
		return membudget.Default(), nil
	}
	n, err := membudget.Parse(v)
	if err != nil || n == 0 {
		return membudget.Budget{}, featurestore.Errorf(featurestore.EINVALID, "%s=%s is not a size", memoryEnv, v).
			WithHint("give e.g. FS_MEMORY_LIMIT=16GB or 16GiB, or unset it (default: three quarters of the machine's memory)")
	}
	return membudget.Of(n), nil
}
