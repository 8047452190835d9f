package yaml_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore/yaml"
)

// fuzzAllocBound is the most parsing one definition file may allocate: a
// few hundred times its bytes for the tree and the decoded values, and
// never what its aliases would expand to.
func fuzzAllocBound(n int) uint64 { return uint64(n)*400 + 64<<20 }

// FuzzDefinitions parses mutated definition files: an error is fine; a
// panic, a hang or an allocation past fuzzAllocBound is not.
func FuzzDefinitions(f *testing.F) {
	f.Add([]byte(demo.Definitions))
	f.Add([]byte(aliasBomb()))
	f.Add([]byte(header + "a: &x {k: [1, 2]}\nb: *x\n---\nfeatures: []\n"))
	f.Add([]byte("features:\n  - name: f\n    source: s\n    expr: 'a ?: b'\n    ttl: 30d\n    tags: [a, b]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		done := make(chan struct{})
		go func() { yaml.Parse("f.yaml", dir, data); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("parsing %d bytes did not finish in 10 s", len(data))
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > fuzzAllocBound(len(data)) {
			t.Fatalf("parsing %d bytes allocated %d", len(data), grew)
		}
	})
}
