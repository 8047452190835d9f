package main

import (
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// The collector is off while iceberg-go's table/substrait initializes
// (internal/initgc runs first), and on again once fs runs: the order Go
// chose is read from this test binary's own GODEBUG=inittrace=1 report.
func TestGCIsOffWhileIcebergInitializes(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	at := map[string]int{}
	for i, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			at[f[1]] = i + 1
		}
	}
	off, heavy := at["github.com/fs-dev/fs/internal/initgc"], at["github.com/apache/iceberg-go/table/substrait"]
	if off == 0 || heavy == 0 || off > heavy {
		t.Errorf("internal/initgc initialized at line %d, iceberg-go/table/substrait at %d of the init trace: the collector was not off for it", off, heavy)
	}
	if p := debug.SetGCPercent(100); p < 0 {
		t.Errorf("the collector is still off (GOGC %d) once fs runs", p)
	} else {
		debug.SetGCPercent(p)
	}
}
