package main

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fs-dev/fs/demo"
)

// TestFullDisk fills the disk holding a store (a tmpfs of 200 MiB, 1 MiB left free) and
// registers 1,000 features: a clear error and the store as it was, not
// Badger's SIGBUS; the store reads afterwards, and once space is freed the
// same register succeeds.
func TestFullDisk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "disk")
	os.MkdirAll(dir, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=200m", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount a tmpfs (CI runs as root): %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	defer exec.Command("umount", "-l", dir).Run()
	if err := demo.WriteDriverStats(filepath.Join(dir, "driver_stats.parquet"), demo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "small.yaml"), []byte(manyFeatures(10, 0)), 0o644)
	os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(manyFeatures(1000, 1)), 0o644)
	runFS(t, dir, "init")
	runFS(t, dir, "register", "small.yaml")
	store := filepath.Join(dir, ".fs")
	before := fileHashes(t, store)
	filler := filepath.Join(dir, "filler")
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	leave := int64(1 << 20) // 1 MiB: where Badger's writes through mmap end in SIGBUS
	fill := int64(st.Bavail)*int64(st.Bsize) - leave
	if out, err := exec.Command("fallocate", "-l", strconv.FormatInt(fill, 10), filler).CombinedOutput(); err != nil {
		t.Fatalf("fill the disk: %v %s", err, out)
	}
	cmd := exec.Command("fs", "register", "big.yaml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	code := cmd.ProcessState.ExitCode()
	if err == nil || code != exitError || !strings.Contains(string(out), "MiB free") || strings.Contains(string(out), "SIGBUS") {
		t.Fatalf("register on a full disk: exit %d\n%s", code, out)
	}
	after := fileHashes(t, store)
	delete(after, "LOCK")
	if !maps.Equal(before, after) {
		t.Fatalf("the failed register changed the store: %s", diffFiles(before, after))
	}
	runFS(t, dir, "features", "list")
	os.Remove(filler)
	runFS(t, dir, "register", "big.yaml")
	if n := len(currentVersions(t, store)); n != 1001 {
		t.Errorf("%d heads after the register, want 1,001", n)
	}
}
