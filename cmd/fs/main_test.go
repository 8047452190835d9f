package main

import (
	"flag"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore/badger"
)

var update = flag.Bool("update", false, "rewrite the scripts' expected output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"fs": main})
}

// TestScripts runs testdata/script/*.txtar: fs as a user types it, with
// stdout, stderr and exit codes checked.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gendata":     cmdGendata,
			"lockstore":   cmdLockstore,
			"unlockstore": cmdUnlockstore,
		},
	})
}

// gendata DIR writes the demo data into DIR.
func cmdGendata(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gendata DIR")
	}
	ts.Check(demo.Write(ts.MkAbs(args[0]), demo.DefaultOptions()))
}

var (
	heldMu sync.Mutex
	held   = map[string]*badger.Store{}
)

// lockstore DIR opens the store for writing in the test process, so that
// fs, run as another process, finds it in use.
func cmdLockstore(ts *testscript.TestScript, neg bool, args []string) {
	dir := ts.MkAbs(args[0])
	s, err := badger.Open(dir, false)
	ts.Check(err)
	heldMu.Lock()
	held[dir] = s
	heldMu.Unlock()
}

func cmdUnlockstore(ts *testscript.TestScript, neg bool, args []string) {
	dir := ts.MkAbs(args[0])
	heldMu.Lock()
	defer heldMu.Unlock()
	ts.Check(held[dir].Close())
	delete(held, dir)
}
