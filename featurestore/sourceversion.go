package featurestore

import (
	"path/filepath"
	"strings"
	"time"
)

// Format is how a source's data is stored. It is part of a source's
// version: the same location read another way is other data.
type Format string

// FormatParquet is parquet files: one file, a directory of them or a glob.
const FormatParquet Format = "parquet"

// SourceVersion is the immutable, content-hashed form of a source's
// declaration: everything that decides which rows its features read. Its
// ID enters the version of every feature on the source, so two features
// that read different data never share a version and a source moved to
// other files re-versions its features and, through them, their
// dependants.
//
// In it: where the data lives (Location), its format, the entity and its
// join keys, the timestamp and created-timestamp fields. Not in it: the
// source's name (a renamed source over the same data keeps its version)
// and anything descriptive.
type SourceVersion struct {
	ID                    ID        `json:"version"`
	Name                  string    `json:"name"` // the name it was first registered under
	Location              string    `json:"location"`
	Format                Format    `json:"format"`
	Entity                string    `json:"entity"`
	JoinKeys              []string  `json:"join_keys"`
	TimestampField        string    `json:"timestamp_field"`
	CreatedTimestampField string    `json:"created_timestamp_field,omitempty"`
	Created               time.Time `json:"created"`    // when first registered
	Descriptor            string    `json:"descriptor"` // the exact bytes that were hashed
}

// NewSourceVersion is the version of src (whose entity is ent) in the
// project directory project.
func NewSourceVersion(src Source, ent Entity, project string) *SourceVersion {
	loc, format := sourceLocation(project, src.Path)
	v := &SourceVersion{Name: src.Name, Location: loc, Format: format,
		Entity: ent.Name, JoinKeys: ent.JoinKeys, TimestampField: src.TimestampField,
		CreatedTimestampField: src.CreatedTimestampField}
	v.Descriptor = SourceDescriptor(v)
	v.ID = Hash([]byte(v.Descriptor))
	return v
}

// Fields are the version's identity as (field, value) pairs in descriptor
// order: what fs register and fs features diff compare.
func (v *SourceVersion) Fields() [][2]string {
	return [][2]string{
		{"path", v.Location},
		{"format", string(v.Format)},
		{"entity", v.Entity + " (" + strings.Join(v.JoinKeys, ", ") + ")"},
		{"timestamp_field", v.TimestampField},
		{"created_timestamp_field", v.CreatedTimestampField},
	}
}

// SourceHead is the current state of a source name in the registry.
type SourceHead struct {
	Name     string    `json:"name"`
	Current  ID        `json:"current"` // the version registered last
	Versions int       `json:"versions"`
	Updated  time.Time `json:"updated"`
}

// SourceChange is the outcome of registering one source of a file.
type SourceChange struct {
	Version  *SourceVersion `json:"-"`
	Source   Source         `json:"-"` // as declared, its path absolute
	Name     string         `json:"name"`
	ID       ID             `json:"version"`
	Status   Status         `json:"status"`
	Previous *ID            `json:"previous,omitempty"`
	// Changes are the identity fields that differ from the previous
	// version (with Previous).
	Changes []FieldChange `json:"changes,omitempty"`
}

// FieldChange is one field that differs between two versions.
type FieldChange struct {
	Field string `json:"field"`
	A     string `json:"a"`
	B     string `json:"b"`
}

// DiffFields lists the fields whose values differ between a and b, which
// hold the same fields in the same order; prefix is put before each name.
func DiffFields(prefix string, a, b [][2]string) []FieldChange {
	out := []FieldChange{}
	for i := range a {
		if i < len(b) && a[i][1] != b[i][1] {
			out = append(out, FieldChange{Field: prefix + a[i][0], A: a[i][1], B: b[i][1]})
		}
	}
	return out
}

// SourceLocation is the form of a source path that enters its version: relative
// to the project directory, slash-separated, when the path lies inside it
// (a project moved or copied elsewhere keeps its versions); otherwise the
// absolute path, slash-separated; a URI as written. project "" (a store
// in memory) keeps every path absolute.
func SourceLocation(project, path string) string {
	if IsURI(path) {
		return path
	}
	if rel, ok := relativeTo(project, path); ok {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(filepath.Clean(path))
}

// sourceLocation is a source path's location and format: a table's
// identity in its catalog (TableRef.Location), else SourceLocation's.
func sourceLocation(project, path string) (string, Format) {
	if ref, err := ParseTableRef(path); err == nil {
		return ref.Location(), FormatIceberg
	}
	return SourceLocation(project, path), FormatParquet
}

// relativeTo returns path relative to dir when path lies inside dir.
func relativeTo(dir, path string) (string, bool) {
	if dir == "" || !filepath.IsAbs(path) {
		return "", false
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}
