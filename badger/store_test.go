package badger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/storetest"
)

func TestConformanceOnDisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) featurestore.Registry {
		dir := filepath.Join(t.TempDir(), "store")
		if _, err := badger.Init(dir); err != nil {
			t.Fatal(err)
		}
		s, err := badger.Open(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) featurestore.Registry {
		s, err := badger.NewInMemory()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestLocking(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if created, err := badger.Init(dir); err != nil || !created {
		t.Fatalf("Init = %v, %v", created, err)
	}
	if created, err := badger.Init(dir); err != nil || created {
		t.Fatalf("second Init = %v, %v; want no-op", created, err)
	}
	w, err := badger.Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = badger.Open(dir, false)
	if featurestore.ErrorCode(err) != featurestore.ELOCKED {
		t.Fatalf("second writer: %v, want ELOCKED", err)
	}
	_, err = badger.Open(dir, true)
	if featurestore.ErrorCode(err) != featurestore.ELOCKED {
		t.Fatalf("reader beside a writer: %v, want ELOCKED", err)
	}
	if _, err := badger.Init(dir); featurestore.ErrorCode(err) != featurestore.ELOCKED {
		t.Fatalf("init beside a writer: %v, want ELOCKED", err)
	}
	w.Close()
	r1, err := badger.Open(dir, true)
	if err != nil {
		t.Fatalf("first reader: %v", err)
	}
	defer r1.Close()
	r2, err := badger.Open(dir, true)
	if err != nil {
		t.Fatalf("second reader beside the first: %v", err)
	}
	r2.Close()
	if _, err := badger.Open(dir, false); featurestore.ErrorCode(err) != featurestore.ELOCKED {
		t.Fatalf("writer beside a reader: %v, want ELOCKED", err)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := badger.Open(filepath.Join(t.TempDir(), "nope"), true)
	if featurestore.ErrorCode(err) != featurestore.ENOSTORE {
		t.Fatalf("Open(missing) = %v, want ENOSTORE", err)
	}
}

// A writer killed right after it created a new value log file leaves that
// file empty. The next command opens the store all the same, reading or
// writing, and finds what was committed.
func TestOpenAfterKillLeftAnEmptyValueLog(t *testing.T) {
	for _, readOnly := range []bool{true, false} {
		dir := filepath.Join(t.TempDir(), "store")
		if _, err := badger.Init(dir); err != nil {
			t.Fatal(err)
		}
		logs, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
		if err != nil || len(logs) == 0 {
			t.Fatalf("value logs: %v, %v", logs, err)
		}
		sort.Strings(logs)
		var last int
		if _, err := fmt.Sscanf(filepath.Base(logs[len(logs)-1]), "%06d.vlog", &last); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%06d.vlog", last+1)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := badger.Open(dir, readOnly)
		if err != nil {
			t.Fatalf("read-only %v: %v", readOnly, err)
		}
		if _, err := s.Datasets(context.Background()); err != nil {
			t.Errorf("read-only %v: reading after the open: %v", readOnly, err)
		}
		s.Close()
	}
}

// TestTablesDoNotPileUp opens the store, records a dataset of the same
// feature and closes it 40 times, as 40 materializations do. Each close
// writes the changes as a table; they must be merged as they come (a
// command lives too short for Badger's background compactions), or every
// open reads all of them. (Badger merges tables whose keys overlap, as
// here the feature's lineage edges; tables of keys apart stay apart.)
func TestTablesDoNotPileUp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if _, err := badger.Init(dir); err != nil {
		t.Fatal(err)
	}
	id := func(i int) featurestore.ID { return featurestore.Hash([]byte(fmt.Sprint("dataset ", i))) }
	feature := []featurestore.FeatureRef{{Name: "f", Version: featurestore.Hash([]byte("f1"))}}
	for i := range 40 {
		s, err := badger.Open(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordDataset(context.Background(), &featurestore.Dataset{ID: id(i), Output: fmt.Sprintf("/data/%d.parquet", i), Rows: 1, Features: feature}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if tables, _ := filepath.Glob(filepath.Join(dir, "*.sst")); len(tables) > 10 {
		t.Errorf("%d tables after 40 commands, want 10 or fewer", len(tables))
	}
	s, err := badger.Open(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 40 {
		if _, err := s.Dataset(context.Background(), id(i)); err != nil {
			t.Errorf("dataset %d after the merges: %v", i, err)
		}
	}
}
