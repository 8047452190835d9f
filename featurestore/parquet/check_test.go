package parquet

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/internal/filestat"
)

// A file's pages are checked once while it stays as it was; a file put in
// its place is checked again (and refused when damaged), and a file seen
// within filestat.RacyWindow of its last change is not remembered.
func TestPagesCheckedOncePerFileVersion(t *testing.T) {
	type row struct {
		ID int64   `parquet:"id"`
		X  float64 `parquet:"x"`
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[row](&buf)
	if _, err := w.Write([]row{{1, 2}, {3, 4}}); err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.parquet")
	put := func(b []byte) { // through a new file, as writers do: a new inode
		tmp := filepath.Join(dir, "tmp")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	open := func() error {
		return withFile(context.Background(), path, func(*pq.File) error { return nil })
	}
	remembered := func() bool {
		st, _ := os.Stat(path)
		return checkedFiles.has(checkedFile{path, filestat.Of(st)})
	}
	defer func(w time.Duration) { filestat.RacyWindow = w }(filestat.RacyWindow)

	filestat.RacyWindow = time.Hour
	put(good)
	if err := open(); err != nil || remembered() {
		t.Fatalf("a file just written: %v, remembered %v; want read and not remembered", err, remembered())
	}
	filestat.RacyWindow = 0
	if err := open(); err != nil || !remembered() {
		t.Fatalf("a settled file: %v, remembered %v; want read and remembered", err, remembered())
	}
	// The same footer, its first page header overwritten.
	damaged := bytes.Clone(good)
	copy(damaged[4:], bytes.Repeat([]byte{0xff}, 12))
	put(damaged)
	if err := open(); err == nil || !strings.Contains(err.Error(), "page header") {
		t.Fatalf("a damaged file in place of a checked one: %v, want its page header refused", err)
	}
}

// The set of checked files keeps the most recently used: a server reading
// file after file does not grow it for ever.
func TestCheckedFilesAreBounded(t *testing.T) {
	r := newRecentSet(3)
	key := func(i int) checkedFile { return checkedFile{path: fmt.Sprintf("/data/%d.parquet", i)} }
	for i := range 10 {
		r.add(key(i))
		if i == 5 {
			r.has(key(0)) // long gone
		}
		r.has(key(7)) // used all along once added
	}
	if r.len() != 3 {
		t.Fatalf("%d members, want 3", r.len())
	}
	for i, want := range map[int]bool{9: true, 8: true, 7: true, 6: false, 0: false} {
		if got := r.has(key(i)); got != want {
			t.Errorf("file %d kept: %v, want %v", i, got, want)
		}
	}
}
