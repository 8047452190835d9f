package featurestore

import (
	"strings"

	"github.com/fs-dev/fs/transforms"
)

// Source is parquet data with an entity key, an event timestamp and
// optionally a created timestamp.
type Source struct {
	Name                  string `json:"name"`
	Path                  string `json:"path"` // absolute: file, directory or glob
	Entity                string `json:"entity"`
	TimestampField        string `json:"timestamp_field"`
	CreatedTimestampField string `json:"created_timestamp_field,omitempty"`
}

// Column is a column of a source as its parquet footer describes it.
type Column struct {
	Name string `json:"name"`
	// Physical is the parquet physical type with its logical annotation,
	// e.g. DOUBLE, INT64, BYTE_ARRAY/STRING, INT64/TIMESTAMP(MICROS,UTC).
	// It enters feature versions: float32 and float64 data differ.
	Physical string          `json:"physical"`
	Type     transforms.Type `json:"type"` // how expressions see it
	Nullable bool            `json:"nullable"`
}

// Schema is the ordered list of a source's columns.
type Schema []Column

// Lookup returns the column named name.
func (s Schema) Lookup(name string) (Column, bool) {
	for _, c := range s {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Names returns the column names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = c.Name
	}
	return out
}

// SchemaReader reads the schema of a source's parquet data from the file
// footers, without reading the data.
type SchemaReader interface {
	ReadSchema(path string) (Schema, error)
}

// IsURI reports whether a source path is a URI (s3a://bucket/x,
// hdfs://nn/x, file:///x, and file:/x as Hadoop writes it): data only an
// engine such as Spark reads, never resolved against the definition
// file's directory. A Windows drive (C:\ or C:/) is not a scheme.
func IsURI(p string) bool {
	i := strings.Index(p, ":")
	if i < 2 || !strings.HasPrefix(p[i+1:], "/") {
		return false
	}
	for j, r := range p[:i] {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || j > 0 && (r >= '0' && r <= '9' || r == '+' || r == '.' || r == '-')
		if !ok {
			return false
		}
	}
	return true
}
