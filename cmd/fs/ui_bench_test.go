package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fs-dev/fs/trainer"
)

// BenchmarkUIPages requests every page of the web UI from a real fs serve
// holding the demo's store and reports each page's server time at the
// 95th percentile (p95-ms), the figure the web UI is held to (200 ms).
//
//	go test -run '^$' -bench UIPages ./cmd/fs
func BenchmarkUIPages(b *testing.B) {
	dir := demoStore(b)
	base, stop := startServer(b.Fatalf, filepath.Join(dir, ".fs"), "--data-root", dir, "--quiet")
	defer stop()
	resp, err := http.Get(base + "/api/v1/runs")
	if err != nil {
		b.Fatal(err)
	}
	var runs []trainer.Run
	json.NewDecoder(resp.Body).Decode(&runs)
	resp.Body.Close()
	sweep, run := runs[0], runs[1]
	pages := map[string]string{
		"features": "/features", "feature": "/features/trips_per_hour", "diff": "/diff?a=conv_rate&b=acc_rate",
		"sets": "/feature-sets", "datasets": "/datasets", "dataset": "/datasets/" + sweep.Dataset.ID,
		"runs": "/runs", "sweep": "/runs/" + sweep.ID.String(), "run": "/runs/" + run.ID.String(),
		"compare": "/compare?run=" + sweep.Children[0].String() + "&run=" + sweep.Children[1].String(),
		"lineage": "/lineage?id=" + run.ID.String(), "impact": "/impact?id=conv_rate",
	}
	for name, path := range pages {
		b.Run(name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				resp, err := http.Get(base + path)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("%s: %v %v", path, err, resp.Status)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
