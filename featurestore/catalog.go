package featurestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FormatIceberg is a source that is a table in an Iceberg catalog: the
// data files of one of its snapshots.
const FormatIceberg Format = "iceberg"

// TableScheme is the scheme of the path of a source that is a table:
// iceberg://NAMESPACE.TABLE?type=sql&uri=...&warehouse=... (TableRef.URI).
const TableScheme = "iceberg"

// Catalog types fs reads tables from.
const (
	CatalogSQL  = "sql"
	CatalogREST = "rest"
)

// Catalog is where a table is found: the catalog's type, its own URI
// (sqlite:///path/catalog.db, https://host/...) and the warehouse its
// tables' files live in.
type Catalog struct {
	Name      string `json:"name,omitempty"` // as the definition file calls it; not part of a source's version
	Type      string `json:"type"`
	URI       string `json:"uri"`
	Warehouse string `json:"warehouse,omitempty"`
}

// File is a SQL catalog's database file (sqlite:///PATH).
func (c Catalog) File() (string, bool) {
	p, ok := strings.CutPrefix(c.URI, "sqlite:///")
	if c.Type != CatalogSQL || !ok || p == "" {
		return "", false
	}
	return filepath.FromSlash(p), true
}

// TableRef names a table of a catalog (NAMESPACE.TABLE) and, when
// Snapshot is not 0, one of its snapshots.
type TableRef struct {
	Catalog  Catalog
	Table    string
	Snapshot int64
}

// URI is the source path of the table: the catalog's identity in the
// query, so that the path alone says where the data is (and enters the
// source's version), the snapshot only when pinned.
func (t TableRef) URI() string {
	q := url.Values{"type": {t.Catalog.Type}, "uri": {t.Catalog.URI}}
	if t.Catalog.Warehouse != "" {
		q.Set("warehouse", t.Catalog.Warehouse)
	}
	if t.Catalog.Name != "" {
		q.Set("catalog", t.Catalog.Name)
	}
	if t.Snapshot != 0 {
		q.Set("snapshot", strconv.FormatInt(t.Snapshot, 10))
	}
	return TableScheme + "://" + t.Table + "?" + q.Encode()
}

// Location is the table's identity for its source's version: its URI
// without the snapshot and the catalog's name.
func (t TableRef) Location() string {
	t.Snapshot, t.Catalog.Name = 0, ""
	return t.URI()
}

// String names the table for people: catalog.namespace.table.
func (t TableRef) String() string {
	if t.Catalog.Name != "" {
		return t.Catalog.Name + "." + t.Table
	}
	return t.Table
}

// IsTable reports whether a source path names a table (TableRef.URI).
func IsTable(path string) bool { return strings.HasPrefix(path, TableScheme+"://") }

// ParseTableRef parses a source path made by TableRef.URI.
func ParseTableRef(path string) (TableRef, error) {
	rest, ok := strings.CutPrefix(path, TableScheme+"://")
	if !ok {
		return TableRef{}, fmt.Errorf("%s does not name a table", path)
	}
	table, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil || table == "" || q.Get("type") == "" || q.Get("uri") == "" {
		return TableRef{}, fmt.Errorf("%s does not name a table: it needs a name, a catalog type and a catalog uri", path)
	}
	ref := TableRef{Table: table, Catalog: Catalog{Name: q.Get("catalog"), Type: q.Get("type"), URI: q.Get("uri"), Warehouse: q.Get("warehouse")}}
	if s := q.Get("snapshot"); s != "" {
		if ref.Snapshot, err = strconv.ParseInt(s, 10, 64); err != nil {
			return TableRef{}, fmt.Errorf("%s: bad snapshot %q", path, s)
		}
	}
	return ref, nil
}

// TableSnapshot is what a snapshot of a table holds: its data files in
// the order fs reads them (by sequence number, then path), each by path
// and size. Data files are never rewritten in place (a table's format
// guarantees it), so the snapshot id and these name the bytes read.
type TableSnapshot struct {
	Table string         `json:"table"`
	UUID  string         `json:"table_uuid"`
	ID    int64          `json:"snapshot_id"`
	Time  time.Time      `json:"snapshot_time"`
	Files []FileSnapshot `json:"-"` // (the source snapshot's Files)
	// Current says whether this is the table's current snapshot.
	Current bool `json:"-"`
	// Expires is when the table's retention may expire this snapshot once
	// it is no longer current (zero: never); see Tables.
	Expires time.Time `json:"-"`
}

// Paths are the data files' paths, in order.
func (t *TableSnapshot) Paths() []string {
	out := make([]string, len(t.Files))
	for i, f := range t.Files {
		out[i] = f.Path
	}
	return out
}

// Tables reads tables' snapshots from their catalogs. Errors: ENOTFOUND
// for a table or snapshot that does not exist (an expired snapshot), a
// refusal for what fs cannot read as it is (delete files), ENOSTORE when
// the catalog cannot be reached.
type Tables interface {
	Snapshot(ctx context.Context, ref TableRef) (*TableSnapshot, error)
}

// TableSnapshotDigest is a table snapshot's digest: over the table's
// UUID, the snapshot id and each data file's path and size, in order.
// Computing it reads no data file, whatever their number.
func TableSnapshotDigest(t *TableSnapshot) string {
	h := sha256.New()
	fmt.Fprintf(h, "fs table snapshot v1\n%s %d\n", t.UUID, t.ID)
	for _, f := range t.Files {
		fmt.Fprintf(h, "%d %s\n", f.Size, f.Path)
	}
	return hex.EncodeToString(h.Sum(nil))
}
