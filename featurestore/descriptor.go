package featurestore

import (
	"strconv"
	"strings"
	"time"

	"github.com/fs-dev/fs/transforms"
)

// The descriptor is the exact text a version's ID hashes. Each line is a key,
// a space and length-prefixed values ("len:bytes"), so no value can be
// confused with another whatever characters it holds, and nothing depends on
// map order, pointers, float formatting or Unicode tables. Changing this
// format changes every version: it carries its own format line.
const (
	featureFormat    = "fs feature v2"
	featureSetFormat = "fs feature-set v1"
	sourceFormat     = "fs source v1"
)

// FeatureFormatV1 is the format line of versions made before sources had
// versions of their own: their descriptors name the source's entity and
// time fields but not where its data lives. Such versions stay in the
// stores that hold them, readable and reproducible; registering their
// definitions again makes versions of the current format.
const FeatureFormatV1 = "fs feature v1"

type descriptor struct{ b strings.Builder }

func newDescriptor(format string) *descriptor {
	d := &descriptor{}
	d.b.WriteString(format)
	d.b.WriteByte('\n')
	return d
}

func (d *descriptor) field(key string, values ...string) {
	d.b.WriteString(key)
	for _, v := range values {
		d.b.WriteByte(' ')
		d.b.WriteString(strconv.Itoa(len(v)))
		d.b.WriteByte(':')
		d.b.WriteString(v)
	}
	d.b.WriteByte('\n')
}

func (d *descriptor) String() string { return d.b.String() }

// FeatureDescriptor returns the text a feature version's ID is the hash of:
// what it computes, over which source version. columns and deps must be
// sorted by name.
func FeatureDescriptor(canonical string, typ transforms.Type, ttl time.Duration,
	source ID, columns []Column, deps []FeatureRef) string {
	return AggregateDescriptor(canonical, typ, ttl, source, nil, columns, deps)
}

// AggregateDescriptor is FeatureDescriptor for an aggregation (agg not
// nil): its function, window and filter follow the source line. A
// row-level feature (agg nil) has exactly FeatureDescriptor's text.
func AggregateDescriptor(canonical string, typ transforms.Type, ttl time.Duration,
	source ID, agg *Aggregation, columns []Column, deps []FeatureRef) string {
	d := newDescriptor(featureFormat)
	d.field("expr", canonical)
	d.field("type", string(typ))
	d.field("ttl", strconv.FormatInt(int64(ttl), 10))
	d.field("source", source.String())
	if agg != nil {
		agg.descriptorFields(d)
	}
	for _, c := range columns {
		d.field("column", c.Name, c.Physical)
	}
	for _, f := range deps {
		d.field("feature", f.Name, f.Version.String())
	}
	return d.String()
}

// SourceDescriptor returns the text a source version's ID is the hash of.
func SourceDescriptor(v *SourceVersion) string {
	d := newDescriptor(sourceFormat)
	d.field("location", v.Location)
	d.field("format", string(v.Format))
	d.field("entity", v.Entity)
	d.field("join_keys", v.JoinKeys...)
	d.field("timestamp_field", v.TimestampField)
	d.field("created_timestamp_field", v.CreatedTimestampField)
	return d.String()
}

// DescriptorFormat is the format line of a descriptor.
func DescriptorFormat(desc string) string {
	line, _, _ := strings.Cut(desc, "\n")
	return line
}

// FeatureSetDescriptor returns the text a feature set version's ID is the
// hash of: its members' names and versions, in order.
func FeatureSetDescriptor(members []FeatureRef) string {
	d := newDescriptor(featureSetFormat)
	for _, m := range members {
		d.field("member", m.Name, m.Version.String())
	}
	return d.String()
}
