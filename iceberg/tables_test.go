package iceberg_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/iceberg"
)

// lake is a SQL catalog in a temporary directory with a table
// rides.trips written by iceberg-go: two appends (two snapshots).
func lake(t testing.TB, props ice.Properties) (featurestore.TableRef, *table.Table) {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cat, err := sqlcat.NewCatalog("lake", db, sqlcat.SQLite, ice.Properties{"warehouse": "file://" + filepath.Join(dir, "wh")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	if err := cat.CreateNamespace(ctx, catalog.ToIdentifier("rides"), nil); err != nil {
		t.Fatal(err)
	}
	schema := ice.NewSchema(0,
		ice.NestedField{ID: 1, Name: "driver_id", Type: ice.PrimitiveTypes.Int64, Required: false},
		ice.NestedField{ID: 2, Name: "fare", Type: ice.PrimitiveTypes.Float64, Required: false})
	tbl, err := cat.CreateTable(ctx, catalog.ToIdentifier("rides.trips"), schema, catalog.WithProperties(props))
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][]int64{{1, 2, 3}, {4, 5}} {
		if tbl, err = tbl.AppendTable(ctx, arrowTable(t, rows), 10, nil); err != nil {
			t.Fatal(err)
		}
	}
	ref := featurestore.TableRef{Catalog: featurestore.Catalog{Name: "lake", Type: featurestore.CatalogSQL,
		URI: "sqlite:///" + filepath.ToSlash(filepath.Join(dir, "catalog.db"))}, Table: "rides.trips"}
	return ref, tbl
}

func arrowTable(t testing.TB, ids []int64) arrow.Table {
	sc := arrow.NewSchema([]arrow.Field{{Name: "driver_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "fare", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, id := range ids {
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.Float64Builder).Append(float64(id) * 1.5)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewTableFromRecords(sc, []arrow.RecordBatch{rec})
}

func TestSnapshotsListTheirFilesInCommitOrder(t *testing.T) {
	ref, tbl := lake(t, nil)
	tables, ctx := iceberg.New(nil), context.Background()
	cur, err := tables.Snapshot(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	snaps := tbl.Metadata().Snapshots()
	if len(snaps) != 2 || cur.ID != snaps[1].SnapshotID || !cur.Current || len(cur.Files) != 2 || cur.UUID == "" {
		t.Fatalf("current snapshot %+v; the table has %d snapshots", cur, len(snaps))
	}
	for _, f := range cur.Files {
		if !filepath.IsAbs(f.Path) || f.Size <= 0 || f.SHA256 != "" {
			t.Errorf("data file %+v: want an absolute local path and a size", f)
		}
	}
	ref.Snapshot = snaps[0].SnapshotID
	first, err := tables.Snapshot(ctx, ref)
	if err != nil || len(first.Files) != 1 || first.Files[0] != cur.Files[0] || first.Current {
		t.Fatalf("the first snapshot: %+v %v; want the first commit's file, first in the current one", first, err)
	}
	if featurestore.TableSnapshotDigest(first) == featurestore.TableSnapshotDigest(cur) {
		t.Error("two snapshots have one digest")
	}
	wantExpiry := first.Time.Add(5 * 24 * 60 * 60 * 1e9)
	if !first.Expires.Equal(wantExpiry) {
		t.Errorf("expires %s, want %s (the default retention)", first.Expires, wantExpiry)
	}
}

func TestMissingTablesAndSnapshots(t *testing.T) {
	ref, _ := lake(t, nil)
	tables, ctx := iceberg.New(nil), context.Background()
	for _, c := range []struct {
		change func(*featurestore.TableRef)
		code   string
		says   string
	}{
		{func(r *featurestore.TableRef) { r.Table = "rides.nothing" }, featurestore.ENOTFOUND, "catalog lake has no table rides.nothing"},
		{func(r *featurestore.TableRef) { r.Table = "nowhere.trips" }, featurestore.ENOTFOUND, "catalog lake has no table nowhere.trips"},
		{func(r *featurestore.TableRef) { r.Snapshot = 42 }, featurestore.ENOTFOUND, "no longer has snapshot 42"},
		{func(r *featurestore.TableRef) { r.Catalog.URI = "sqlite:////no/such/catalog.db" }, featurestore.EINVALID, "cannot read /no/such/catalog.db"},
		{func(r *featurestore.TableRef) { r.Catalog.Type = "hive" }, featurestore.EINVALID, `unknown type "hive"`},
	} {
		r := ref
		c.change(&r)
		_, err := tables.Snapshot(ctx, r)
		if featurestore.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.says) || featurestore.ErrorHint(err) == "" {
			t.Errorf("%s: %v (code %s); want %s saying %q, with a hint", c.says, err, featurestore.ErrorCode(err), c.code, c.says)
		}
	}
}

// Row-level deletes (merge-on-read delete files) are refused, naming the
// file they apply to: fs does not apply them.
func TestDeleteFilesAreRefused(t *testing.T) {
	ref, tbl := lake(t, ice.Properties{"format-version": "2", table.WriteDeleteModeKey: table.WriteModeMergeOnRead})
	ctx := context.Background()
	if _, err := tbl.Delete(ctx, ice.EqualTo(ice.Reference("driver_id"), int64(2)), nil); err != nil {
		t.Fatal(err)
	}
	_, err := iceberg.New(nil).Snapshot(ctx, ref)
	if featurestore.ErrorCode(err) != featurestore.EINVALID || !strings.Contains(err.Error(), "has row-level deletes (delete files), which fs does not apply yet") {
		t.Fatalf("a snapshot with delete files: %v", err)
	}
}
