package badger

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
)

// A lineage walk after a record is written again sees the new record, not
// the one it decoded before; an unchanged record is decoded once.
func TestDecodedRecordsFollowWrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".fs")
	if _, err := Init(dir); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	id := featurestore.Hash([]byte("a dataset"))
	node := lineage.ID(lineage.Dataset, id.String())
	file := func() string {
		g := s.Lineage()
		defer g.Close()
		r, err := g.Record(ctx, node)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := r.(*featurestore.Dataset)
		if !ok {
			t.Fatalf("the record of %s is a %T", node, r)
		}
		return filepath.Base(d.Output)
	}
	for _, out := range []string{"/data/first.parquet", "/data/second.parquet"} {
		if err := s.RecordDataset(ctx, &featurestore.Dataset{ID: id, Output: out, Rows: 1}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if got := file(); got != filepath.Base(out) {
				t.Errorf("after recording %s the walk sees %s", out, got)
			}
		}
	}
	if n := len(s.decoded.m); n != 1 {
		t.Errorf("%d records decoded and kept, want 1", n)
	}
}
