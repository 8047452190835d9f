package yaml_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/yaml"
)

const header = "entities: [{name: driver, join_keys: [driver_id]}]\n"

func aliasBomb() string {
	var b strings.Builder
	b.WriteString(header + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// Hostile definition files are refused quickly, with a position, and
// without allocating what they would expand to.
func TestHostileDefinitionFiles(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"alias bomb":       {aliasBomb(), "aliases (*name) stand for more than"},
		"nested brackets":  {header + "features: " + strings.Repeat("[", 200_000), "nest more than 64"},
		"nested blocks":    {header + "features:\n" + strings.Repeat("- ", 100) + "x\n", "nest more than 64"},
		"second document":  {header + "---\nfeatures: []\n", "2 YAML documents"},
		"ttl of zero":      {header + "sources: [{name: s, path: x.parquet, entity: driver, timestamp_field: t}]\nfeatures:\n  - {name: f, source: s, expr: x, ttl: 0s}\n", "a ttl of 0"},
		"ttl of zero days": {header + "sources: [{name: s, path: x.parquet, entity: driver, timestamp_field: t}]\nfeatures:\n  - {name: f, source: s, expr: x, ttl: 0d}\n", "a ttl of 0"},
	}
	if len(aliasBomb()) > 1300 {
		t.Fatalf("the alias bomb is %d bytes", len(aliasBomb()))
	}
	for name, c := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		defs, err := yaml.Parse("f.yaml", t.TempDir(), []byte(c.src))
		if err == nil && len(defs.Problems) > 0 {
			err = defs.Problems
		}
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error()+featurestore.ErrorHint(err), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
			t.Errorf("%s: allocated %d bytes", name, grew)
		}
		if took > 5*time.Second {
			t.Errorf("%s: took %v", name, took)
		}
	}
}

// A FIFO, a directory and an oversized file are refused without reading
// them (a FIFO would block until a writer came).
func TestDefinitionFileKinds(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, []byte(header+"# "+strings.Repeat("x", yaml.MaxFileBytes)+"\n"), 0o644)
	for path, want := range map[string]string{fifo: "not a regular file", dir: "a directory", big: "at most 4 MiB"} {
		done := make(chan error, 1)
		go func() { _, err := yaml.ReadFile(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", filepath.Base(path), err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadFile blocked", filepath.Base(path))
		}
	}
}

// TestLargeFileWithoutAliases: 20,000 features written out (about 120,000
// nodes each way past the alias limit's count) are read; only aliases are
// held to the expansion limit.
func TestLargeFileWithoutAliases(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + "sources: [{name: s, path: x.parquet, entity: driver, timestamp_field: t}]\nfeatures:\n")
	for i := 0; i < 20_000; i++ {
		b.WriteString("  - name: f" + itoa(i) + "\n    source: s\n    expr: x * " + itoa(i) + "\n    description: feature number " + itoa(i) + "\n    tags: [a, b]\n")
	}
	defs, err := yaml.Parse("f.yaml", t.TempDir(), []byte(b.String()))
	if err != nil || len(defs.Problems) > 0 || len(defs.Features) != 20_000 {
		t.Fatalf("Parse: %v %v", err, defs)
	}
}
