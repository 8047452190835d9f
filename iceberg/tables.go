package iceberg

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	iceio "github.com/apache/iceberg-go/io"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // warehouses in S3
	"github.com/apache/iceberg-go/table"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver of SQL catalogs

	"github.com/fs-dev/fs/featurestore"
)

// Tables reads snapshots of Iceberg tables; it keeps each catalog it
// opened until Close.
type Tables struct {
	getenv   func(string) string
	mu       sync.Mutex
	catalogs map[featurestore.Catalog]catalog.Catalog
}

var _ featurestore.Tables = (*Tables)(nil)

// New reads the environment through getenv (os.Getenv when nil).
func New(getenv func(string) string) *Tables {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Tables{getenv: getenv, catalogs: map[featurestore.Catalog]catalog.Catalog{}}
}

// defaultMaxSnapshotAge is Iceberg's default history.expire.max-snapshot-age-ms.
const defaultMaxSnapshotAge = 5 * 24 * time.Hour

// Snapshot implements featurestore.Tables.
func (t *Tables) Snapshot(ctx context.Context, ref featurestore.TableRef) (*featurestore.TableSnapshot, error) {
	tbl, err := t.load(ctx, ref)
	if err != nil {
		return nil, err
	}
	snap, err := pick(tbl, ref)
	if err != nil {
		return nil, err
	}
	files, err := dataFiles(ctx, tbl, ref, snap)
	if err != nil {
		return nil, err
	}
	md := tbl.Metadata()
	out := &featurestore.TableSnapshot{Table: ref.String(), UUID: md.TableUUID().String(), ID: snap.SnapshotID,
		Time: time.UnixMilli(snap.TimestampMs).UTC(), Files: files}
	cur := tbl.CurrentSnapshot()
	out.Current = cur != nil && cur.SnapshotID == snap.SnapshotID
	age := time.Duration(md.Properties().GetInt("history.expire.max-snapshot-age-ms", int(defaultMaxSnapshotAge.Milliseconds()))) * time.Millisecond
	out.Expires = out.Time.Add(age)
	return out, nil
}

// pick is the snapshot ref names: the current one, or the one pinned.
func pick(tbl *table.Table, ref featurestore.TableRef) (*table.Snapshot, error) {
	if ref.Snapshot == 0 {
		if s := tbl.CurrentSnapshot(); s != nil {
			return s, nil
		}
		return nil, featurestore.Errorf(featurestore.EINVALID, "table %s has no snapshot: it holds no data yet", ref).
			WithHint("append data to the table first")
	}
	if s := tbl.SnapshotByID(ref.Snapshot); s != nil {
		return s, nil
	}
	return nil, featurestore.Errorf(featurestore.ENOTFOUND, "table %s no longer has snapshot %d: it expired (or was removed)", ref, ref.Snapshot).
		WithHint("the table's retention (history.expire.max-snapshot-age-ms) removed it; keep snapshots of runs you reproduce longer")
}

// dataFiles lists a snapshot's data files by sequence number, then path;
// a snapshot with row-level deletes is refused.
func dataFiles(ctx context.Context, tbl *table.Table, ref featurestore.TableRef, snap *table.Snapshot) ([]featurestore.FileSnapshot, error) {
	tasks, err := tbl.Scan(table.WithSnapshotID(snap.SnapshotID)).PlanFiles(ctx)
	if err != nil {
		return nil, failed(ref, "plan the files of snapshot "+fmt.Sprint(snap.SnapshotID), err)
	}
	type file struct {
		seq int64
		f   featurestore.FileSnapshot
	}
	var files []file
	for _, task := range tasks {
		if len(task.DeleteFiles)+len(task.EqualityDeleteFiles)+len(task.DeletionVectorFiles) > 0 {
			return nil, featurestore.Errorf(featurestore.EINVALID, "table %s, snapshot %d: %s has row-level deletes (delete files), which fs does not apply yet",
				ref, snap.SnapshotID, task.File.FilePath()).
				WithHint("rewrite the table's data files (compaction) so that no delete file applies, or write deletes copy-on-write")
		}
		var seq int64
		if task.DataSequenceNumber != nil {
			seq = *task.DataSequenceNumber
		}
		files = append(files, file{seq, featurestore.FileSnapshot{Path: dataPath(task.File.FilePath()), Size: task.File.FileSizeBytes()}})
	}
	slices.SortStableFunc(files, func(a, b file) int { return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.f.Path, b.f.Path)) })
	out := make([]featurestore.FileSnapshot, len(files))
	for i, f := range files {
		out[i] = f.f
	}
	return out, nil
}

// dataPath is where fs reads a data file: a local warehouse's file as a
// path, an s3a:// or s3n:// object as s3://.
func dataPath(p string) string {
	switch {
	case strings.HasPrefix(p, "file://"):
		return filepath.FromSlash(strings.TrimPrefix(p, "file://"))
	case strings.HasPrefix(p, "file:/"):
		return filepath.FromSlash(strings.TrimPrefix(p, "file:"))
	case strings.HasPrefix(p, "s3a://"), strings.HasPrefix(p, "s3n://"):
		return "s3://" + p[len("s3a://"):]
	}
	return p
}

// load loads the table from its catalog.
func (t *Tables) load(ctx context.Context, ref featurestore.TableRef) (*table.Table, error) {
	cat, err := t.catalog(ctx, ref.Catalog)
	if err != nil {
		return nil, err
	}
	tbl, err := cat.LoadTable(ctx, catalog.ToIdentifier(ref.Table))
	if err != nil {
		if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
			return nil, featurestore.Errorf(featurestore.ENOTFOUND, "catalog %s has no table %s", catalogName(ref.Catalog), ref.Table).
				WithHint("check the table's name (NAMESPACE.TABLE after the catalog's name) and the catalog's uri")
		}
		return nil, failed(ref, "load", err)
	}
	return tbl, nil
}

// catalog opens a catalog once.
func (t *Tables) catalog(ctx context.Context, c featurestore.Catalog) (catalog.Catalog, error) {
	key := c
	key.Name = ""
	t.mu.Lock()
	defer t.mu.Unlock()
	if cat, ok := t.catalogs[key]; ok {
		return cat, nil
	}
	cat, err := t.open(ctx, c)
	if err != nil {
		return nil, err
	}
	t.catalogs[key] = cat
	return cat, nil
}

// props are the catalog's properties: its warehouse and how to reach it.
func (t *Tables) props(c featurestore.Catalog) ice.Properties {
	p := ice.Properties{}
	if c.Warehouse != "" {
		p["warehouse"] = c.Warehouse
	}
	if e := cmpOr(t.getenv("AWS_ENDPOINT_URL_S3"), t.getenv("AWS_ENDPOINT_URL")); e != "" {
		p[iceio.S3EndpointURL] = e
	}
	p[iceio.S3Region] = cmpOr(t.getenv("AWS_REGION"), "us-east-1")
	return p
}

func (t *Tables) open(ctx context.Context, c featurestore.Catalog) (catalog.Catalog, error) {
	switch c.Type {
	case featurestore.CatalogSQL:
		path, ok := c.File()
		if !ok {
			return nil, featurestore.Errorf(featurestore.EINVALID, "catalog uri %s is not sqlite:///PATH", c.URI).
				WithHint("fs reads SQL catalogs kept in SQLite, as pyiceberg's SqlCatalog writes them")
		}
		if _, err := os.Stat(path); err != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "catalog %s: cannot read %s: %v", catalogName(c), path, err).
				WithHint("a SQL catalog's uri is sqlite:///PATH to the catalog's database (as pyiceberg's SqlCatalog writes it)")
		}
		db, err := sql.Open("sqlite", path)
		if err != nil {
			return nil, err
		}
		cat, err := sqlcat.NewCatalog(cmpOr(c.Name, "fs"), db, sqlcat.SQLite, t.props(c))
		if err != nil {
			db.Close()
			return nil, featurestore.Errorf(featurestore.EINVALID, "catalog %s: %v", catalogName(c), err)
		}
		return cat, nil
	case featurestore.CatalogREST:
		opts := []rest.Option{rest.WithAdditionalProps(t.props(c))}
		if c.Warehouse != "" {
			opts = append(opts, rest.WithWarehouseLocation(c.Warehouse))
		}
		if tok := t.getenv("ICEBERG_REST_TOKEN"); tok != "" {
			opts = append(opts, rest.WithOAuthToken(tok))
		} else if cred := t.getenv("ICEBERG_REST_CREDENTIAL"); cred != "" {
			opts = append(opts, rest.WithCredential(cred))
		}
		cat, err := rest.NewCatalog(ctx, cmpOr(c.Name, "fs"), c.URI, opts...)
		if err != nil {
			return nil, featurestore.Errorf(featurestore.ENOSTORE, "cannot reach the REST catalog at %s: %v", c.URI, err).
				WithHint("check the catalog's uri and that it is running; a token goes in ICEBERG_REST_TOKEN")
		}
		return cat, nil
	}
	return nil, featurestore.Errorf(featurestore.EINVALID, "catalog %s: unknown type %q", catalogName(c), c.Type).
		WithHint("fs reads sql and rest catalogs")
}

func catalogName(c featurestore.Catalog) string { return cmpOr(c.Name, c.URI) }

// failed wraps a catalog's error, naming the table.
func failed(ref featurestore.TableRef, doing string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") {
		return featurestore.Errorf(featurestore.ENOSTORE, "table %s: cannot %s: %v", ref, doing, err).
			WithHint("check AWS_ENDPOINT_URL (the warehouse) and the catalog's uri")
	}
	return featurestore.Errorf(featurestore.EINVALID, "table %s: cannot %s: %v", ref, doing, err)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
