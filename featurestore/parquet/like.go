package parquet

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// WriteLike writes t to w as parquet with the schema of the file at like
// (its columns, physical types, units and order), so that the file joins
// like's source (fs push). Every column of like must be in t or optional
// (then null); t may have no other column. Values are converted to the
// column's physical type where that loses nothing: an integer into INT32
// when it fits, a float64 into FLOAT as the nearest float32, a time into
// the column's unit when it is a whole number of them.
func WriteLike(w io.Writer, like string, t *featurestore.Table) error {
	l, err := readLike(like, t)
	if err != nil {
		return err
	}
	pw := pq.NewWriter(w, l.schema, pq.Compression(&zstd.Codec{Level: zstd.SpeedDefault}), pq.CreatedBy("fs", "1", ""))
	rows := make([]pq.Row, 0, 1024)
	for r := 0; r < t.Rows; r++ {
		row, err := l.row(r)
		if err != nil {
			return err
		}
		if rows = append(rows, row); len(rows) == cap(rows) || r == t.Rows-1 {
			if _, err := pw.WriteRows(rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	return pw.Close()
}

// likeFile is the schema of the file rows are written like, and the rows'
// column for each of its columns (nil: none).
type likeFile struct {
	schema *pq.Schema
	fields []pq.Field
	defs   []featurestore.Column
	cols   []*featurestore.Series
}

// readLike reads like's schema and matches t's columns to it.
func readLike(like string, t *featurestore.Table) (*likeFile, error) {
	var meta []format.SchemaElement
	l := &likeFile{}
	err := withFile(context.Background(), like, func(pf *pq.File) error {
		l.schema, meta = pf.Schema(), pf.Metadata().Schema
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.fields = l.schema.Fields()
	if len(meta) != len(l.fields)+1 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s has nested columns: fs cannot append to it", like)
	}
	for _, s := range t.Series {
		if !hasField(l.fields, s.Name) {
			return nil, featurestore.Errorf(featurestore.EINVALID, "the rows have a column %s, which the source's files do not", s.Name).
				WithHint("drop it, or register a source with it")
		}
	}
	for i, f := range l.fields {
		def := Column(meta[i+1])
		if !f.Leaf() || f.Repeated() || def.Name != f.Name() {
			return nil, featurestore.Errorf(featurestore.EINVALID, "column %s of %s is nested: fs cannot append to it", f.Name(), like)
		}
		col := t.Lookup(f.Name())
		if col == nil && f.Required() {
			return nil, featurestore.Errorf(featurestore.EINVALID, "the rows have no column %s, which the source requires", f.Name()).
				WithHint("give every column of the source's files")
		}
		l.defs, l.cols = append(l.defs, def), append(l.cols, col)
	}
	return l, nil
}

// row is row r of the rows as a parquet row of the file's schema.
func (l *likeFile) row(r int) (pq.Row, error) {
	row := make(pq.Row, len(l.fields))
	for i, f := range l.fields {
		v, err := likeValue(l.defs[i], l.cols[i], r)
		if err != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "row %d: column %s: %v", r+1, f.Name(), err)
		}
		row[i] = v.Level(0, defLevel(f, v), i)
	}
	return row, nil
}

func hasField(fields []pq.Field, name string) bool {
	for _, f := range fields {
		if f.Name() == name {
			return true
		}
	}
	return false
}

func defLevel(f pq.Field, v pq.Value) int {
	if f.Optional() && !v.IsNull() {
		return 1
	}
	return 0
}

// likeValue is row r of s as a value of column c (null when s is nil).
func likeValue(c featurestore.Column, s *featurestore.Series, r int) (pq.Value, error) {
	if s == nil || s.Null(r) {
		if !c.Nullable {
			return pq.Value{}, fmt.Errorf("null, in a column that may not be")
		}
		return pq.NullValue(), nil
	}
	if c.Type == "" || strings.Contains(c.Physical, "/INT(") || strings.HasSuffix(c.Physical, "/DATE") {
		return pq.Value{}, fmt.Errorf("fs cannot write %s", c.Physical)
	}
	if c.Type == transforms.Timestamp {
		if s.Type != transforms.Timestamp {
			return pq.Value{}, fmt.Errorf("%s, not a timestamp", s.Type)
		}
		return timeValue(c.Physical, s.I64[r])
	}
	return convert(c, s, r)
}

func convert(c featurestore.Column, s *featurestore.Series, r int) (pq.Value, error) {
	switch want := c.Type; {
	case want == transforms.Float64 && s.Type == transforms.Int64:
		return floatValue(c.Physical, float64(s.I64[r])), nil
	case s.Type != want:
		return pq.Value{}, fmt.Errorf("%s, not %s", s.Type, want)
	case want == transforms.Float64:
		return floatValue(c.Physical, s.F64[r]), nil
	case want == transforms.Int64 && c.Physical == "INT32":
		if s.I64[r] < math.MinInt32 || s.I64[r] > math.MaxInt32 {
			return pq.Value{}, fmt.Errorf("%d does not fit the column's 32 bits", s.I64[r])
		}
		return pq.Int32Value(int32(s.I64[r])), nil
	case want == transforms.Int64:
		return pq.Int64Value(s.I64[r]), nil
	case want == transforms.Bool:
		return pq.BooleanValue(s.Bool[r]), nil
	}
	return pq.ByteArrayValue([]byte(s.Str[r])), nil
}

// floatValue is v in a DOUBLE column, or the nearest float32 in a FLOAT
// one.
func floatValue(physical string, v float64) pq.Value {
	if physical == "FLOAT" {
		return pq.FloatValue(float32(v))
	}
	return pq.DoubleValue(v)
}

// timeValue is ns (nanoseconds since the epoch) in the unit of a
// TIMESTAMP column.
func timeValue(physical string, ns int64) (pq.Value, error) {
	per := int64(1)
	switch {
	case strings.Contains(physical, "MILLIS"):
		per = 1_000_000
	case strings.Contains(physical, "MICROS"):
		per = 1_000
	}
	if ns%per != 0 {
		return pq.Value{}, fmt.Errorf("%s is finer than the column's unit", time.Unix(0, ns).UTC().Format(time.RFC3339Nano))
	}
	return pq.Int64Value(ns / per), nil
}
