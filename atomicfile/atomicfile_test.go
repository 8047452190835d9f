package atomicfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fs-dev/fs/atomicfile"
)

func TestWriteReplacesWholeAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.parquet")
	if err := atomicfile.Write(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "two" || fi.Mode().Perm() != atomicfile.Perm {
		t.Fatalf("content %q mode %v", b, fi.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestFailedWriteKeepsEarlierFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	atomicfile.Write(p, []byte("earlier"))
	err := atomicfile.WriteWith(p, func(f *os.File) error {
		f.Write([]byte("half"))
		return errors.New("boom")
	})
	b, _ := os.ReadFile(p)
	if err == nil || string(b) != "earlier" {
		t.Fatalf("err %v, content %q", err, b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// A dead writer's temporary file (unlocked) is removed by the next writer;
// a live writer's (locked) is kept.
func TestCleanStaleRemovesOnlyDeadWritersFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	dead := filepath.Join(dir, ".out.tmp123")
	os.WriteFile(dead, []byte("x"), 0o600)
	live := filepath.Join(dir, ".out.tmp456")
	os.WriteFile(live, []byte("x"), 0o600)
	f, _ := os.Open(live)
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	atomicfile.CleanStale(p)
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("a dead writer's file is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live writer's file was removed: %v", err)
	}
}

func TestWriteDirSwapsAnExistingDirectory(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model")
	for _, content := range []string{"v1", "v2"} {
		err := atomicfile.WriteDir(p, func(d string) error {
			return os.WriteFile(filepath.Join(d, "MLmodel"), []byte(content), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(p, "MLmodel")); string(b) != content {
			t.Fatalf("MLmodel = %q, want %q", b, content)
		}
	}
	err := atomicfile.WriteDir(p, func(d string) error { return errors.New("boom") })
	if b, _ := os.ReadFile(filepath.Join(p, "MLmodel")); err == nil || string(b) != "v2" {
		t.Fatalf("a failed write: err %v, MLmodel %q", err, b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Fatalf("temporary directories left: %v", left)
	}
}

// A directory TempDir holds is kept by RemoveStaleDirs; one nobody holds
// (a killed process's) is removed; release removes its own.
func TestTempDirAndStaleDirs(t *testing.T) {
	dir := t.TempDir()
	live, release, err := atomicfile.TempDir(dir, "spill-*")
	if err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(dir, "spill-dead")
	if err := os.MkdirAll(filepath.Join(dead, "part"), 0o755); err != nil {
		t.Fatal(err)
	}
	atomicfile.RemoveStaleDirs(dir, "spill-*")
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a held directory was removed: %v", err)
	}
	if _, err := os.Stat(dead); runtime.GOOS != "windows" && !os.IsNotExist(err) { // flock is real on unix
		t.Errorf("a stale directory was kept: %v", err)
	}
	release()
	if _, err := os.Stat(live); !os.IsNotExist(err) {
		t.Errorf("release kept the directory: %v", err)
	}
}

// TestLargeWriteIsWhole writes 20 MiB in writes of odd sizes, past the
// points where writing to disk is started early, and reads back the same
// bytes after Commit.
func TestLargeWriteIsWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := atomicfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 20<<20)
	for i := range want {
		want[i] = byte(i * 7 / 13)
	}
	for rest := want; len(rest) > 0; {
		n := min(len(rest), 999_983)
		if _, err := f.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(want))
	}
}
