package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// manyFeatures returns a definition file of n features over the demo's
// driver stats; offset changes every expression.
func manyFeatures(n, offset int) string {
	var b strings.Builder
	b.WriteString("entities: [{name: driver, join_keys: [driver_id]}]\n")
	b.WriteString("sources: [{name: driver_stats, path: driver_stats.parquet, entity: driver, timestamp_field: datetime, created_timestamp_field: created}]\n")
	b.WriteString("features:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - name: f%04d\n    source: driver_stats\n    expr: conv_rate * %d + acc_rate / %d.0\n", i, i+offset, i+1)
	}
	b.WriteString("feature_sets:\n  - name: all\n    features: [")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "f%04d", i)
	}
	b.WriteString("]\n")
	return b.String()
}

// currentVersions reads every feature head of the store, read-only, as a
// later fs command would.
func currentVersions(t *testing.T, dir string) map[string]featurestore.ID {
	t.Helper()
	s, err := badger.Open(dir, true)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer s.Close()
	heads, err := s.FeatureHeads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]featurestore.ID{}
	for _, h := range heads {
		out[h.Name] = h.Current
	}
	if sh, err := s.FeatureSetHead(context.Background(), "all"); err == nil {
		out["set:all"] = sh.Current
	}
	return out
}

func runFS(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("fs", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fs %v: %v\n%s", args, err, out)
	}
}

// TestKilledRegisterLeavesStoreAsItWas kills `fs register` with SIGKILL at
// many points of its run and checks that the store then holds either the
// whole old registration or the whole new one, never a part, and opens.
func TestKilledRegisterLeavesStoreAsItWas(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns many processes")
	}
	dir := t.TempDir()
	if err := demo.WriteDriverStats(filepath.Join(dir, "driver_stats.parquet"), demo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	const n = 1000
	for name, off := range map[string]int{"v1.yaml": 0, "v2.yaml": 1} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(manyFeatures(n, off)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store := filepath.Join(dir, ".fs")
	runFS(t, dir, "init")
	runFS(t, dir, "register", "v1.yaml")
	before := currentVersions(t, store)
	if len(before) != n+1 {
		t.Fatalf("%d heads after v1, want %d", len(before), n+1)
	}
	start := time.Now()
	runFS(t, dir, "register", "v2.yaml")
	full := time.Since(start)
	after := currentVersions(t, store)
	runFS(t, dir, "register", "v1.yaml")

	var killedBefore, killedAfter int
	const tries = 16
	for i := 0; i < tries; i++ {
		// Spread the kills over the whole run, denser towards the end where
		// the transaction commits.
		delay := time.Duration(float64(full) * (0.3 + 0.9*float64(i)/tries))
		cmd := exec.Command("fs", "register", "v2.yaml")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		got := currentVersions(t, store)
		switch {
		case maps.Equal(got, before):
			killedBefore++
		case maps.Equal(got, after):
			killedAfter++
			runFS(t, dir, "register", "v1.yaml")
		default:
			t.Fatalf("kill after %v left a partial registration", delay)
		}
	}
	t.Logf("full register of %d features: %v; %d kills left the old state, %d the new one", n, full, killedBefore, killedAfter)
	if killedBefore == 0 {
		t.Errorf("no kill landed before the commit: the test did not exercise a killed write")
	}
	// A writer can still open the store after all those kills.
	runFS(t, dir, "register", "v2.yaml")
	if !maps.Equal(currentVersions(t, store), after) {
		t.Error("registering after the kills did not give the new state")
	}
}

// TestInterruptedMaterializeLeavesNothing sends SIGINT to fs materialize
// while it works: it exits 130, writes no output (no temporary file left
// either), keeps an earlier file at the output path, and records nothing.
func TestInterruptedMaterializeLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	o := demo.DefaultOptions()
	o.Drivers, o.Hours, o.Orders = 2000, 1000, 400_000
	if err := demo.Write(dir, o); err != nil {
		t.Fatal(err)
	}
	runFS(t, dir, "init")
	runFS(t, dir, "register", "features.yaml")
	out := filepath.Join(dir, "train.parquet")
	if err := os.WriteFile(out, []byte("earlier output"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"materialize", "--feature-set", "driver_ranking", "--entities", "orders.tsv", "--out", "train.parquet", "-q"}
	start := time.Now()
	runFS(t, dir, args...)
	full := time.Since(start)
	os.WriteFile(out, []byte("earlier output"), 0o644)
	interrupted, completed := 0, 1
	for i := 0; i < 6; i++ {
		cmd := exec.Command("fs", args...)
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(float64(full) * (0.2 + 0.12*float64(i))))
		cmd.Process.Signal(os.Interrupt)
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if err == nil {
			completed++ // it finished first and recorded its dataset
			os.WriteFile(out, []byte("earlier output"), 0o644)
			continue
		}
		interrupted++
		if code != 130 {
			t.Errorf("interrupted fs exited %d, want 130", code)
		}
		if b, _ := os.ReadFile(out); string(b) != "earlier output" {
			t.Fatal("an interrupted materialize replaced the earlier output")
		}
		if tmp, _ := filepath.Glob(filepath.Join(dir, ".train.parquet.tmp*")); len(tmp) > 0 {
			t.Fatalf("temporary files left: %v", tmp)
		}
	}
	if interrupted == 0 {
		t.Fatalf("no run was interrupted (a full run takes %v)", full)
	}
	cmd := exec.Command("fs", "datasets", "list", "--json")
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	// The default cutoff is the time of materialization, so each completed
	// run is a dataset of its own.
	if n := strings.Count(string(b), `"id"`); n != completed {
		t.Errorf("%d datasets recorded, want %d: one per completed run", n, completed)
	}
	t.Logf("full run %v; %d of 6 runs interrupted", full, interrupted)
}

// TestKilledOnlineSyncKeepsTheLast kills `fs online sync` with SIGKILL at
// points spread over its run: the online values are then those of the
// last complete sync or of the killed one, whole, never a mix; a later
// sync works.
func TestKilledOnlineSyncKeepsTheLast(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns many processes")
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "ev"), 0o755)
	const keys = 100_000
	tb := &featurestore.Table{Rows: 2 * keys}
	id := featurestore.NewSeries("id", transforms.Int64, tb.Rows)
	ts := featurestore.NewSeries("ts", transforms.Timestamp, tb.Rows)
	x := featurestore.NewSeries("x", transforms.Float64, tb.Rows)
	for i := range tb.Rows {
		id.I64[i], x.F64[i] = int64(i%keys), float64(i)
		ts.I64[i] = time.Date(2024, 1, 1+i/keys*10, 0, 0, 0, 0, time.UTC).UnixNano() // Jan 1, then Jan 11
	}
	tb.Series = []*featurestore.Series{id, ts, x}
	var b bytes.Buffer
	if err := parquet.WriteTable(&b, tb, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ev", "a.parquet"), b.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "f.yaml"), []byte("entities: [{name: e, join_keys: [id]}]\n"+
		"sources: [{name: ev, path: ev/, entity: e, timestamp_field: ts}]\n"+
		"features:\n  - {name: x, source: ev, expr: x}\n  - {name: x2, source: ev, expr: x * 2}\n"), 0o644)
	runFS(t, dir, "init")
	runFS(t, dir, "register", "f.yaml")
	get := func() string {
		cmd := exec.Command("fs", "online", "get", "--features", "x,x2", "--entity", "id=7", "--entity", "id=99999")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("online get: %v\n%s", err, out)
		}
		return string(out)
	}
	sync := func(asOf string) { runFS(t, dir, "online", "sync", "--features", "x,x2", "--as-of", asOf) }
	start := time.Now()
	sync("2024-01-20T00:00:00Z")
	full := time.Since(start)
	late := get()
	sync("2024-01-05T00:00:00Z")
	early := get()
	if early == late {
		t.Fatalf("the two syncs give the same values:\n%s", early)
	}
	var kept, done int
	const tries = 6
	for i := range tries {
		delay := time.Duration(float64(full) * (0.2 + 1.0*float64(i)/tries))
		cmd := exec.Command("fs", "online", "sync", "--features", "x,x2", "--as-of", "2024-01-20T00:00:00Z")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		switch got := get(); got {
		case early:
			kept++
		case late:
			done++
			sync("2024-01-05T00:00:00Z")
		default:
			t.Fatalf("a kill after %v left values of neither sync:\n%s", delay, got)
		}
	}
	t.Logf("full sync of %d keys x 2: %v; %d kills kept the last sync, %d came after the commit", keys, full, kept, done)
	if kept == 0 {
		t.Errorf("no kill landed before the commit: the test did not exercise a killed sync")
	}
	sync("2024-01-20T00:00:00Z")
	if got := get(); got != late {
		t.Errorf("a sync after the kills:\n%s\nwant\n%s", got, late)
	}
}
