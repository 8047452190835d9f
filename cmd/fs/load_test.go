package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	fshttp "github.com/fs-dev/fs/http"
	"github.com/fs-dev/fs/lineage"
)

// loadKinds are the requests of the load test and their shares.
var loadKinds = []struct {
	name  string
	share int // out of 100
}{{"features list", 30}, {"lineage", 20}, {"impact", 20}, {"register", 15}, {"materialize", 15}}

// loadResult is what one client saw.
type loadResult struct {
	latency map[string][]time.Duration
	errors  map[string][]string
	acked   map[string]featurestore.ID // registered feature name: the version the server acknowledged
}

// TestLoad runs 32 concurrent clients against a real fs serve for
// FS_LOAD_SECONDS (10 by default; make load runs 60), mixing reads
// (features list, lineage, impact) with registrations and
// materializations. It requires zero errors and, after the server is
// killed with SIGKILL, every acknowledged registration in the store. The
// figures (requests/s, p50 and p99 per kind, the server's peak memory)
// are logged, and written to FS_LOAD_REPORT when set.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test")
	}
	seconds := 10
	if v, err := strconv.Atoi(os.Getenv("FS_LOAD_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	dir := demoStore(t)
	store := filepath.Join(dir, ".fs")
	// The 32 clients share the one loopback principal a server without
	// tokens has: as many jobs each as there are clients, as 32 users with
	// their own tokens would have.
	url, cmd, _ := spawnServer(t, store, "--data-root", dir, "--quiet", "--jobs-per-token", "32", "--max-queued", "64")
	out := t.TempDir()
	const clients = 32
	results := make([]loadResult, clients)
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = loadClient(fshttp.NewClient(url, ""), i, dir, out, deadline)
		}()
	}
	wg.Wait()
	elapsed := time.Duration(seconds) * time.Second
	peak := peakMemory(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	report := loadReport(results, elapsed, peak)
	t.Log("\n" + report)
	if path := os.Getenv("FS_LOAD_REPORT"); path != "" {
		os.WriteFile(path, []byte(report), 0o644)
	}
	acked := map[string]featurestore.ID{}
	for _, r := range results {
		for k, es := range r.errors {
			for _, e := range es {
				t.Errorf("%s: %s", k, e)
			}
		}
		for n, v := range r.acked {
			acked[n] = v
		}
	}
	if len(acked) == 0 {
		t.Fatal("no registration was acknowledged")
	}
	s, err := badger.Open(store, true)
	if err != nil {
		t.Fatalf("open the store after SIGKILL: %v", err)
	}
	defer s.Close()
	for name, v := range acked {
		head, err := s.FeatureHead(context.Background(), name)
		if err != nil || head.Current != v {
			t.Errorf("acknowledged registration of %s@%s lost after SIGKILL: %v", name, v.Short(), err)
		}
	}
	t.Logf("%d acknowledged registrations, all in the store after SIGKILL", len(acked))
}

// loadClient sends requests until the deadline.
func loadClient(c *fshttp.Client, i int, dir, out string, deadline time.Time) loadResult {
	res := loadResult{latency: map[string][]time.Duration{}, errors: map[string][]string{}, acked: map[string]featurestore.ID{}}
	rng := rand.New(rand.NewPCG(uint64(i), 17))
	ctx := context.Background()
	for n := 0; time.Now().Before(deadline); n++ {
		kind := pickKind(rng.IntN(100))
		start := time.Now()
		err := loadRequest(ctx, c, kind, i, n, dir, out, res.acked)
		if err != nil {
			res.errors[kind] = append(res.errors[kind], err.Error())
			continue
		}
		res.latency[kind] = append(res.latency[kind], time.Since(start))
	}
	return res
}

func pickKind(x int) string {
	for _, k := range loadKinds {
		if x < k.share {
			return k.name
		}
		x -= k.share
	}
	return loadKinds[0].name
}

// loadRequest sends one request of kind; a registration records what the
// server acknowledged in acked.
func loadRequest(ctx context.Context, c *fshttp.Client, kind string, i, n int, dir, out string, acked map[string]featurestore.ID) error {
	switch kind {
	case "features list":
		_, err := c.Features(ctx)
		return err
	case "lineage":
		_, err := c.Lineage(ctx, app.LineageRequest{ID: "conv_rate", Direction: lineage.Downstream, Depth: 2})
		return err
	case "impact":
		_, err := c.Impact(ctx, "conv_rate")
		return err
	case "register":
		name := fmt.Sprintf("load_%d_%d", i, n)
		res, err := c.Register(ctx, app.RegisterRequest{File: "load.yaml", Dir: dir, Content: loadDefinition(name, i, n)})
		if err == nil {
			acked[name] = res.Features[0].ID
		}
		return err
	}
	_, err := c.Materialize(ctx, app.MaterializeRequest{Features: []string{"conv_rate", "acc_rate"},
		Entities: filepath.Join(dir, "orders.tsv"), Out: filepath.Join(out, fmt.Sprintf("m%d_%d.parquet", i, n))})
	return err
}

func loadDefinition(name string, i, n int) string {
	return "entities: [{name: driver, join_keys: [driver_id]}]\n" +
		"sources: [{name: driver_stats, path: driver_stats.parquet, entity: driver, timestamp_field: datetime, created_timestamp_field: created}]\n" +
		fmt.Sprintf("features: [{name: %s, source: driver_stats, expr: 'conv_rate * %d + %d'}]\n", name, i+1, n)
}

// peakMemory is a process's peak resident memory (VmHWM), in bytes, or 0
// where /proc does not say.
func peakMemory(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// loadReport is the figures as a markdown table.
func loadReport(results []loadResult, elapsed time.Duration, peak int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d clients, %v, server peak RSS %.0f MiB\n\n", len(results), elapsed, float64(peak)/(1<<20))
	b.WriteString("| request | count | per second | p50 | p99 | errors |\n|---|---|---|---|---|---|\n")
	total := 0
	for _, k := range loadKinds {
		var all []time.Duration
		errs := 0
		for _, r := range results {
			all = append(all, r.latency[k.name]...)
			errs += len(r.errors[k.name])
		}
		slices.Sort(all)
		total += len(all)
		fmt.Fprintf(&b, "| %s | %d | %.1f | %s | %s | %d |\n", k.name, len(all), float64(len(all))/elapsed.Seconds(),
			quantile(all, 0.5), quantile(all, 0.99), errs)
	}
	fmt.Fprintf(&b, "| all | %d | %.1f | | | |\n", total, float64(total)/elapsed.Seconds())
	return b.String()
}

func quantile(sorted []time.Duration, q float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	d := sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
	return d.Round(100 * time.Microsecond).String()
}
