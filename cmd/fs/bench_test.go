package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/fs-dev/fs/demo"
)

func state(out io.Writer) *State {
	return &State{Stdin: bytes.NewReader(nil), Stdout: out, Stderr: io.Discard, Getenv: func(string) string { return "" }}
}

func mustMain(b *testing.B, args ...string) {
	b.Helper()
	var errBuf bytes.Buffer
	st := state(io.Discard)
	st.Stderr = &errBuf
	if code := Main(context.Background(), args, st); code != 0 {
		b.Fatalf("fs %v: exit %d: %s", args, code, errBuf.String())
	}
}

// registryFixture makes a store in dir holding files*n feature versions:
// n features registered files times, each time with every expression
// changed.
func registryFixture(b *testing.B, dir string, n, files int) string {
	b.Helper()
	if err := demo.WriteDriverStats(filepath.Join(dir, "driver_stats.parquet"), demo.DefaultOptions()); err != nil {
		b.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	mustMain(b, "init", "--store", store)
	for i := 0; i < files; i++ {
		f := filepath.Join(dir, fmt.Sprintf("v%d.yaml", i))
		if err := os.WriteFile(f, []byte(manyFeatures(n, i)), 0o644); err != nil {
			b.Fatal(err)
		}
		mustMain(b, "register", f, "--store", store)
	}
	return store
}

// BenchmarkRegister1000 registers a file of 1,000 new features (a new
// version of each) into a store that already holds 1,000.
func BenchmarkRegister1000(b *testing.B) {
	dir := b.TempDir()
	store := registryFixture(b, dir, 1000, 1)
	for i := 0; i < b.N; i++ {
		f := filepath.Join(dir, fmt.Sprintf("next%d.yaml", i))
		if err := os.WriteFile(f, []byte(manyFeatures(1000, 1000+i)), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		mustMain(b, "register", f, "--store", store)
		b.StopTimer()
	}
}

// BenchmarkFeaturesList10k lists a store holding 10,000 feature versions
// (1,000 names with 10 versions each), opening the store each time as the
// command does.
func BenchmarkFeaturesList10k(b *testing.B) {
	store := registryFixture(b, b.TempDir(), 1000, 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mustMain(b, "features", "list", "--store", store)
	}
}
