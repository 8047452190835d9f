package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// remoteScripts are the scripts that also run against fs serve: every one
// whose commands work on the store's records. The others test the store
// directory itself (init, lock, first_hour: finding .fs, fs init) or
// --help.
var remoteScripts = []string{"register", "sources", "v1store", "hardening", "materialize", "train", "lineage", "errors", "hostile", "online"}

// TestScriptsRemote runs the shared scripts with the CLI as a client: after
// the script's fs init, a real fs serve on a free loopback port owns the
// store and every later fs command reaches it through FS_STORE. The
// scripts' expectations are unchanged: same stdout, stderr and exit codes.
func TestScriptsRemote(t *testing.T) {
	dir := t.TempDir()
	for _, name := range remoteScripts {
		src, err := os.ReadFile(filepath.Join("testdata/script", name+".txtar"))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(src), "\nexec fs init\n", "\nexec fs init\nserve\n")
		if !strings.Contains(s, "\nserve\n") {
			t.Fatalf("%s: no fs init line to start the server after", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".txtar"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testscript.Run(t, testscript.Params{
		Dir:       dir,
		Condition: scriptCondition(true),
		Cmds:      scriptCmds(map[string]func(ts *testscript.TestScript, neg bool, args []string){"serve": cmdServe}),
	})
}

// syncBuffer is a buffer several goroutines write and read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingRe = regexp.MustCompile(`at (https?://127\.0\.0\.1:\d+) `)

// startServer runs fs serve on store with the given extra flags and
// returns its URL and a function that stops it (as SIGTERM does) and
// returns its exit code and stderr.
func startServer(fatalf func(string, ...any), store string, flags ...string) (string, func() (int, string)) {
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	args := append([]string{"serve", "--store", store, "--addr", "127.0.0.1:0"}, flags...)
	go func() {
		done <- Main(ctx, args, &State{Stdin: strings.NewReader(""), Stdout: &stderr, Stderr: &stderr, Getenv: os.Getenv})
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := servingRe.FindStringSubmatch(stderr.String()); m != nil {
			stop := func() (int, string) {
				cancel()
				return <-done, stderr.String()
			}
			return m[1], stop
		}
		select {
		case code := <-done:
			cancel()
			fatalf("fs serve exited with %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			fatalf("fs serve did not start: %s", stderr.String())
		}
	}
}

// serve starts fs serve on the script's store (./.fs) with $WORK as its
// data root, and points FS_STORE at it for the rest of the script.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	url, stop := startServer(ts.Fatalf, ts.MkAbs(".fs"), "--data-root", ts.Getenv("WORK"), "--quiet")
	ts.Setenv("FS_STORE", url)
	ts.Defer(func() {
		if code, out := stop(); code != 0 {
			ts.Fatalf("fs serve stopped with exit code %d: %s", code, out)
		}
	})
}
