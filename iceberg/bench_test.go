package iceberg_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/iceberg"
)

// BenchmarkSnapshot10000Files reads the snapshot of a table of 10,000
// data files (added in one commit, as a backfill does) and computes its
// digest: what fs materialize does before it reads any data.
func BenchmarkSnapshot10000Files(b *testing.B) {
	ref, tbl := lake(b, nil)
	dir := b.TempDir()
	paths := make([]string, 10_000)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", i))
		f, err := os.Create(paths[i])
		if err != nil {
			b.Fatal(err)
		}
		if err := pqarrow.WriteTable(arrowTable(b, []int64{int64(i)}), f, 10, nil, pqarrow.DefaultWriterProps()); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	ctx := context.Background()
	tx := tbl.NewTransaction()
	if err := tx.AddFiles(ctx, paths, nil, false); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		snap, err := iceberg.New(nil).Snapshot(ctx, ref)
		if err != nil || len(snap.Files) != 10_002 {
			b.Fatalf("%v, %d files", err, len(snap.Files))
		}
		featurestore.TableSnapshotDigest(snap)
	}
}
