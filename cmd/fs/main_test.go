package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore/parquet"
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
		Condition:     scriptCondition(false),
		Cmds: scriptCmds(map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"lockstore":   cmdLockstore,
			"unlockstore": cmdUnlockstore,
		}),
	})
}

// scriptCondition answers [remote]: whether the script's fs commands
// reach a server (commands on the store directory itself, such as fs
// doctor, run only when not).
func scriptCondition(remote bool) func(cond string) (bool, error) {
	return func(cond string) (bool, error) {
		if cond == "remote" {
			return remote, nil
		}
		return false, fmt.Errorf("unknown condition %q", cond)
	}
}

// scriptCmds is the commands every script may use, local or remote, plus
// more.
func scriptCmds(more map[string]func(ts *testscript.TestScript, neg bool, args []string)) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"gendata":    cmdGendata,
		"genstats":   cmdGenstats,
		"catparquet": cmdCatparquet,
		"v1store":    cmdV1store,
		"genevents":  cmdGenevents,
	}
	maps.Copy(cmds, more)
	return cmds
}

// genstats FILE CONV_RATE writes a small driver stats file: drivers 1001
// to 1003, one row each on 2021-04-10, conv_rate CONV_RATE.
func cmdGenstats(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: genstats FILE CONV_RATE")
	}
	rate, err := strconv.ParseFloat(args[1], 64)
	ts.Check(err)
	type row struct {
		Datetime int64   `parquet:"datetime,timestamp(microsecond:utc)"`
		DriverID int64   `parquet:"driver_id"`
		ConvRate float64 `parquet:"conv_rate"`
	}
	at := time.Date(2021, 4, 10, 0, 0, 0, 0, time.UTC).UnixMicro()
	rows := []row{{at, 1001, rate}, {at, 1002, rate}, {at, 1003, rate}}
	ts.Check(pq.WriteFile(ts.MkAbs(args[0]), rows))
}

// genevents FILE writes a small event source: rides of drivers 1001 and
// 1002 from 2021-01-01, a fare (one null) and a city; ties on the hour.
func cmdGenevents(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: genevents FILE")
	}
	type row struct {
		TS       int64    `parquet:"ts,timestamp(microsecond:utc)"`
		DriverID int64    `parquet:"driver_id"`
		Fare     *float64 `parquet:"fare,optional"`
		City     string   `parquet:"city"`
	}
	day := int64(24 * time.Hour / time.Microsecond)
	at := func(d, h int64) int64 {
		return time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() + d*day + h*day/24
	}
	fare := func(f float64) *float64 { return &f }
	rows := []row{
		{at(0, 9), 1001, fare(10), "paris"}, {at(0, 9), 1001, fare(30), "lyon"}, {at(1, 12), 1001, nil, "paris"},
		{at(2, 8), 1001, fare(25.5), "paris"}, {at(5, 10), 1001, fare(8), "nice"},
		{at(0, 10), 1002, fare(12), "lille"}, {at(3, 10), 1002, fare(40), "lille"},
	}
	ts.Check(pq.WriteFile(ts.MkAbs(args[0]), rows))
}

// catparquet FILE prints a parquet file's rows as comma-separated values
// under a header, as fs reads them.
func cmdCatparquet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: catparquet FILE")
	}
	path := ts.MkAbs(args[0])
	schema, err := parquet.SchemaReader{}.ReadSchema(path)
	ts.Check(err)
	t, _, err := parquet.ReadTable(context.Background(), []string{path}, schema.Names())
	ts.Check(err)
	var b strings.Builder
	b.WriteString(strings.Join(schema.Names(), ",") + "\n")
	for i := 0; i < t.Rows; i++ {
		for j, s := range t.Series {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, s.Value(i))
		}
		b.WriteByte('\n')
	}
	ts.Stdout().Write([]byte(b.String()))
}

// v1store DIR copies testdata/v1store (a project whose store fs 0.1.0
// wrote before sources had versions) into DIR.
func cmdV1store(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: v1store DIR")
	}
	src, err := filepath.Abs(filepath.Join("testdata", "v1store"))
	ts.Check(err)
	ts.Check(os.CopyFS(ts.MkAbs(args[0]), os.DirFS(src)))
	ts.Check(filepath.WalkDir(ts.MkAbs(args[0]), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	}))
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
