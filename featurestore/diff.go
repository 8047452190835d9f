package featurestore

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// DiffVersions lists the fields that differ between two feature versions,
// in descriptor order (the source's fields prefixed "source."), then the
// metadata: the reasons two versions differ. Each version's source
// version is read from reg; project is the store's project directory, to
// show the source paths of versions made before sources had versions as
// later versions hold them.
func DiffVersions(ctx context.Context, reg Registry, project string, a, b *FeatureVersion) ([]FieldChange, error) {
	fa, err := versionFields(ctx, reg, project, a)
	if err != nil {
		return nil, err
	}
	fb, err := versionFields(ctx, reg, project, b)
	if err != nil {
		return nil, err
	}
	return DiffFields("", fa, fb), nil
}

// versionFields are a version's fields as (name, value) pairs.
func versionFields(ctx context.Context, reg Registry, project string, v *FeatureVersion) ([][2]string, error) {
	src, err := sourceOf(ctx, reg, project, v)
	if err != nil {
		return nil, err
	}
	var cols, deps []string
	for _, c := range v.Columns {
		cols = append(cols, c.Name+" "+c.Physical)
	}
	for _, d := range v.DependsOn {
		deps = append(deps, d.Name+"@"+d.Version.Short())
	}
	out := [][2]string{
		{"rule", DescriptorFormat(v.Descriptor)},
		{"expr", strings.Join(strings.Fields(v.Expr), " ")},
		{"canonical", v.Canonical},
		{"type", string(v.Type)},
		{"ttl", FormatTTL(v.TTL)},
		{"aggregate", v.Aggregation.function()},
		{"window", v.Aggregation.window()},
		{"where", v.Aggregation.where()},
	}
	for _, f := range src.Fields() {
		out = append(out, [2]string{"source." + f[0], f[1]})
	}
	return append(out,
		[2]string{"columns", strings.Join(cols, ", ")},
		[2]string{"depends_on", strings.Join(deps, ", ")},
		[2]string{"source", v.Source.Name},
		[2]string{"description", v.Metadata.Description},
	), nil
}

// sourceOf is the source version v reads: recorded, or, for a version of
// FeatureFormatV1, made from the source it recorded.
func sourceOf(ctx context.Context, reg Registry, project string, v *FeatureVersion) (*SourceVersion, error) {
	if !v.SourceVersion.IsZero() {
		return reg.SourceVersion(ctx, v.SourceVersion)
	}
	loc, format := sourceLocation(project, v.Source.Path)
	return &SourceVersion{Name: v.Source.Name, Location: loc, Format: format,
		Entity: v.Source.Entity, JoinKeys: v.JoinKeys, TimestampField: v.Source.TimestampField,
		CreatedTimestampField: v.Source.CreatedTimestampField}, nil
}

// FormatTTL is "7d", "90m0s", or "-" for none.
func FormatTTL(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}
