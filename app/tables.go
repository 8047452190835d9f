package app

import (
	"context"
	"os"
	"sync"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/iceberg"
)

// tables reads the snapshots of sources that are tables (Iceberg, through
// their catalogs, with this process's environment); made once, it keeps
// the catalogs it opened for the process's life.
var tables = sync.OnceValue(func() featurestore.Tables { return iceberg.New(os.Getenv) })

// sourceFiles are a source's files now: a table's current snapshot's data
// files, else the files its path expands to.
func sourceFiles(ctx context.Context, src featurestore.Source) ([]string, *featurestore.TableSnapshot, error) {
	if !featurestore.IsTable(src.Path) {
		files, err := parquet.Files(src.Path)
		return files, nil, err
	}
	ref, err := featurestore.ParseTableRef(src.Path)
	if err != nil {
		return nil, nil, err
	}
	snap, err := tables().Snapshot(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	return snap.Paths(), snap, nil
}
