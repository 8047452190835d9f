package materialize

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/blob/s3"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/filestat"
	"github.com/fs-dev/fs/internal/s3test"
)

// A file whose size, times and inode did not change is not read again; a
// changed one is; Verify reads every one.
func TestDigestCacheReusesUnchangedFiles(t *testing.T) {
	defer func(w time.Duration) { filestat.RacyWindow = w }(filestat.RacyWindow)
	filestat.RacyWindow = 0
	dir := t.TempDir()
	file := filepath.Join(dir, "a.parquet")
	os.WriteFile(file, bytes.Repeat([]byte("x"), 1000), 0o644)
	cachePath := filepath.Join(dir, "digests.json")
	want, _, _ := FileSHA256(file)

	c := OpenDigestCache(cachePath)
	if sum, _, err := c.Sum(file); err != nil || sum != want || c.Hashed != 1000 {
		t.Fatalf("first: %s %v, hashed %d", sum, err, c.Hashed)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	// Another process: the saved digest is used, the file not read. A
	// forged digest in the cache shows that it is not read.
	forged := strings.Replace(mustRead(t, cachePath), want, strings.Repeat("0", 64), 1)
	os.WriteFile(cachePath, []byte(forged), 0o644)
	c = OpenDigestCache(cachePath)
	if sum, _, _ := c.Sum(file); sum != strings.Repeat("0", 64) || c.Hashed != 0 {
		t.Fatalf("unchanged file: %s, hashed %d", sum, c.Hashed)
	}
	c.Verify = true
	if sum, _, _ := c.Sum(file); sum != want || c.Hashed != 1000 {
		t.Fatalf("verify: %s, hashed %d", sum, c.Hashed)
	}
	// A changed file (same size, new content and times) is read again.
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(file, bytes.Repeat([]byte("y"), 1000), 0o644)
	c = OpenDigestCache(cachePath)
	if sum, _, _ := c.Sum(file); sum == want || c.Hashed != 1000 {
		t.Fatalf("changed file: %s, hashed %d", sum, c.Hashed)
	}
}

// A file changed just before it was hashed is not remembered: its times
// might not show a change that follows within the clock's granularity.
func TestDigestCacheSkipsRacyFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.parquet")
	os.WriteFile(file, []byte("fresh"), 0o644)
	c := OpenDigestCache(filepath.Join(dir, "digests.json"))
	c.Sum(file)
	if len(c.entries) != 0 {
		t.Errorf("a file written now was remembered")
	}
}

// Snapshots through the cache equal snapshots that read every file.
func TestSnapshotWithCacheIsTheSame(t *testing.T) {
	defer func(w time.Duration) { filestat.RacyWindow = w }(filestat.RacyWindow)
	filestat.RacyWindow = 0
	dir := t.TempDir()
	var files []string
	for _, n := range []string{"a", "b", "c"} {
		p := filepath.Join(dir, n+".parquet")
		os.WriteFile(p, []byte(n+n+n), 0o644)
		files = append(files, p)
	}
	src := featurestore.Source{Name: "s", Path: dir}
	want, _ := Snapshot(src, files)
	c := OpenDigestCache(filepath.Join(dir, "digests.json"))
	for range 2 {
		got, err := SnapshotWith(context.Background(), c, src, files)
		if err != nil || got.Digest != want.Digest {
			t.Fatalf("%s %v, want %s", got.Digest, err, want.Digest)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// BenchmarkSnapshot: a 256 MiB source snapshotted by reading it, and
// through the digest cache once it is known (the second materialize of an
// unchanged source).
func BenchmarkSnapshot(b *testing.B) {
	defer func(w time.Duration) { filestat.RacyWindow = w }(filestat.RacyWindow)
	filestat.RacyWindow = 0
	dir := b.TempDir()
	file := filepath.Join(dir, "big.parquet")
	os.WriteFile(file, bytes.Repeat([]byte("0123456789abcdef"), 16<<20), 0o644)
	src := featurestore.Source{Name: "s", Path: file}
	b.Run("read", func(b *testing.B) {
		b.SetBytes(256 << 20)
		for b.Loop() {
			Snapshot(src, []string{file})
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := OpenDigestCache(filepath.Join(dir, "digests.json"))
		SnapshotWith(context.Background(), c, src, []string{file})
		c.Save()
		b.ResetTimer()
		for b.Loop() {
			c := OpenDigestCache(filepath.Join(dir, "digests.json"))
			SnapshotWith(context.Background(), c, src, []string{file})
			if c.Hashed != 0 {
				b.Fatal("hashed an unchanged file")
			}
		}
	})
}

// An object's digest is remembered with its ETag and version id: a second
// snapshot reads nothing, a replaced object is read again.
func TestDigestCacheReusesUnchangedObjects(t *testing.T) {
	s3test.Setenv(t)
	s3.Register()
	bucket := s3test.Bucket(t, true)
	uri := "s3://" + bucket + "/a.parquet"
	s3test.Put(t, bucket, "a.parquet", bytes.Repeat([]byte("x"), 3000))
	c := OpenDigestCache(filepath.Join(t.TempDir(), "digests.json"))
	first, err := c.File(context.Background(), uri)
	if err != nil || first.Size != 3000 || first.ETag == "" || first.Version == "" || c.Hashed != 3000 {
		t.Fatalf("first: %+v %v, hashed %d", first, err, c.Hashed)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	c = OpenDigestCache(c.path)
	if again, err := c.File(context.Background(), uri); err != nil || again != first || c.Hashed != 0 {
		t.Fatalf("unchanged: %+v %v, hashed %d", again, err, c.Hashed)
	}
	s3test.Put(t, bucket, "a.parquet", bytes.Repeat([]byte("y"), 3000))
	changed, err := c.File(context.Background(), uri)
	if err != nil || changed.SHA256 == first.SHA256 || changed.Version == first.Version || c.Hashed != 3000 {
		t.Fatalf("replaced: %+v %v, hashed %d", changed, err, c.Hashed)
	}
	if sum, n, err := FileSHA256(blob.Versioned(uri, first.Version)); err != nil || sum != first.SHA256 || n != 3000 {
		t.Fatalf("the first version, read again: %s %d %v", sum, n, err)
	}
}
