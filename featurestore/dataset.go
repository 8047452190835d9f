package featurestore

import (
	"context"
	"strconv"
	"time"
)

// Dataset is a materialized training set, named by the hash of everything
// that determined its bytes (see DatasetDescriptor).
type Dataset struct {
	ID              ID               `json:"id"`
	Features        []FeatureRef     `json:"features"` // output columns, in order
	Sources         []SourceSnapshot `json:"sources"`
	Entities        EntityFile       `json:"entities"`
	TimestampColumn string           `json:"timestamp_column"`
	// Cutoff: source rows created after it were ignored. Zero when no
	// source has a created timestamp and none was given.
	Cutoff     time.Time `json:"cutoff"`
	Rows       int       `json:"rows"`
	Output     string    `json:"output"` // where it was written (absolute)
	FileDigest string    `json:"file_digest"`
	Created    time.Time `json:"created"`
	FSVersion  string    `json:"fs_version"`
	Descriptor string    `json:"descriptor"`
	// Nulls counts each feature's null rows and why they are null. Not
	// part of the id (the id's inputs determine it).
	Nulls []FeatureNulls `json:"nulls"`
}

// FeatureNulls is why a feature of a dataset is null where it is.
type FeatureNulls struct {
	Name  string `json:"name"`
	Nulls int    `json:"nulls"`
	// NoRow: no source row with the keys at or before the event time (and
	// created by the cutoff). OutsideTTL: the latest such row is older
	// than the feature's TTL. NullValue: the chosen row gives null.
	NoRow      int `json:"no_row"`
	OutsideTTL int `json:"outside_ttl"`
	NullValue  int `json:"null_value"`
	// Inf counts the rows whose value is +Inf or -Inf (an expression that
	// divided by zero, say): not null, but no model trains on them.
	Inf int `json:"inf,omitempty"`
	// Reason says in words why a mostly null feature is so, when fs
	// knows; "" otherwise.
	Reason string `json:"reason,omitempty"`
	// Rows, when asked for, is each row's NullKind (NotNull for a value).
	Rows []NullKind `json:"-"`
}

// NullKind is why one value is null, as FeatureNulls counts them.
type NullKind byte

// The kinds of null.
const (
	NotNull    NullKind = iota
	NoRow               // no source row (no event in the window) at or before the event time
	OutsideTTL          // the latest source row is older than the feature's TTL
	NullValue           // the expression (or aggregation) gives null
)

// String is the kind as the JSON of online values names it.
func (k NullKind) String() string {
	return [...]string{"", "no_row", "outside_ttl", "null_value"}[k]
}

// MostlyNull reports whether at least half of rows rows are null.
func (n FeatureNulls) MostlyNull(rows int) bool { return rows > 0 && 2*n.Nulls >= rows }

// SourceSnapshot is the content of a source's files at the time of use.
type SourceSnapshot struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// SourceVersion is the version of the source read (zero for features
	// versioned before sources had versions). Not part of the digest.
	SourceVersion ID             `json:"source_version,omitzero"`
	Digest        string         `json:"digest"` // sha256 over the files' digests, in path order
	Files         []FileSnapshot `json:"files"`
	Rows          int            `json:"rows"`   // rows read
	Schema        Schema         `json:"schema"` // the columns read
	// Snapshot is the table snapshot read, for a source that is a table:
	// its Digest is then over the table, the snapshot and its data files'
	// paths and sizes, not their bytes (TableSnapshotDigest).
	Snapshot *TableSnapshot `json:"table_snapshot,omitempty"`
}

// FileSnapshot is one file of a source.
type FileSnapshot struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"` // "" for a table's data file (TableSnapshot)
	// ETag and Version are an object's in a bucket (Version where the
	// bucket keeps versions: reproduce reads that version again). Not
	// part of the digest, which is the bytes'.
	ETag    string `json:"etag,omitempty"`
	Version string `json:"version_id,omitempty"`
}

// EntityFile is the labelled events a dataset was built on.
type EntityFile struct {
	Path   string `json:"path"`
	Digest string `json:"digest"` // sha256 of the file's bytes
	Rows   int    `json:"rows"`
}

// DatasetFormat names the way fs lays out a dataset file; it enters every
// dataset id, so a change of layout changes ids.
const DatasetFormat = "fs dataset v1"

// DatasetDescriptor returns the text a dataset's ID is the hash of: the
// layout format, the entity file's digest and timestamp column, each output
// feature's name and version in order, each source snapshot's digest, and
// the cutoff.
func DatasetDescriptor(d *Dataset) string {
	desc := newDescriptor(DatasetFormat)
	desc.field("entities", d.Entities.Digest)
	desc.field("timestamp_column", d.TimestampColumn)
	for _, f := range d.Features {
		desc.field("feature", f.Name, f.Version.String())
	}
	for _, s := range d.Sources {
		desc.field("source", s.Name, s.Digest)
	}
	cutoff := "none"
	if !d.Cutoff.IsZero() {
		cutoff = strconv.FormatInt(d.Cutoff.UnixNano(), 10)
	}
	desc.field("cutoff", cutoff)
	return desc.String()
}

// DatasetStore records datasets with their inputs.
type DatasetStore interface {
	// RecordDataset stores d, its inputs and its edges in one transaction.
	// Recording a dataset that exists keeps the first record's creation time.
	RecordDataset(ctx context.Context, d *Dataset) error
	// Dataset returns a dataset by id (ENOTFOUND).
	Dataset(ctx context.Context, id ID) (*Dataset, error)
	// ResolveDataset returns the one dataset whose id starts with prefix.
	ResolveDataset(ctx context.Context, prefix string) (ID, error)
	// Datasets returns every dataset, sorted by id.
	Datasets(ctx context.Context) ([]Dataset, error)
}
