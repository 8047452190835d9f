package yaml_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore/yaml"
	"github.com/fs-dev/fs/internal/bounded"
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
		bounded.Run(t, fmt.Sprintf("parsing %d bytes", len(data)), 10*time.Second, fuzzAllocBound(len(data)), func() { yaml.Parse("f.yaml", dir, data) })
	})
}
