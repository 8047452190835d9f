package spark

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/transforms"
)

// picked turns Spark's answer (one row per entity row, in order: _row,
// _picked_ts, then the columns) into the table fs evaluates on, typed as
// fs's own parquet reader types the source's columns.
func picked(t arrow.Table, in materialize.PickInput, n int) (*materialize.Picked, error) {
	if int(t.NumRows()) != n {
		return nil, fmt.Errorf("spark answered %d rows for %d entity rows", t.NumRows(), n)
	}
	out := &materialize.Picked{Table: &featurestore.Table{Rows: n}, Found: make([]bool, n), Ts: make([]int64, n)}
	ts := featurestore.NewSeries("_picked_ts", transforms.Int64, n)
	ts.Valid = make([]bool, n)
	if err := fill(ts, t.Column(1).Data(), false); err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		out.Found[i] = ts.Valid[i]
		out.Ts[i] = ts.I64[i] * 1000
	}
	cols, err := sourceColumns(t, 2, in.Source.Name, in.Schema, in.Columns)
	if err != nil {
		return nil, err
	}
	out.Table.Series = cols
	return out, nil
}

// sourceColumns reads Spark's columns from first on, named names, typed as
// fs's own parquet reader types the source's columns.
func sourceColumns(t arrow.Table, first int, source string, schema featurestore.Schema, names []string) ([]*featurestore.Series, error) {
	n := int(t.NumRows())
	var out []*featurestore.Series
	for ci, name := range names {
		c, ok := schema.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("source %s has no column %s", source, name)
		}
		s := featurestore.NewSeries(name, c.Type, n)
		s.Physical, s.Valid = c.Physical, make([]bool, n)
		if err := fill(s, t.Column(first+ci).Data(), c.Type == transforms.Timestamp); err != nil {
			return nil, fmt.Errorf("column %s: %w", name, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// fill copies a chunked Arrow column into s (timestamps from microseconds
// to nanoseconds), marking nulls.
func fill(s *featurestore.Series, col *arrow.Chunked, micros bool) error {
	row := 0
	for _, chunk := range col.Chunks() {
		for i := 0; i < chunk.Len(); i, row = i+1, row+1 {
			if chunk.IsNull(i) {
				continue
			}
			s.Valid[row] = true
			if err := set(s, row, chunk, i, micros); err != nil {
				return err
			}
		}
	}
	return nil
}

func set(s *featurestore.Series, row int, a arrow.Array, i int, micros bool) error {
	switch v := a.(type) {
	case *array.Int64:
		s.I64[row] = v.Value(i)
	case *array.Int32:
		s.I64[row] = int64(v.Value(i))
	case *array.Int16:
		s.I64[row] = int64(v.Value(i))
	case *array.Int8:
		s.I64[row] = int64(v.Value(i))
	case *array.Float64:
		s.F64[row] = v.Value(i)
	case *array.Float32:
		s.F64[row] = float64(v.Value(i))
	case *array.Boolean:
		s.Bool[row] = v.Value(i)
	case *array.String:
		s.Str[row] = v.Value(i)
	case *array.LargeString:
		s.Str[row] = v.Value(i)
	case *array.Timestamp:
		t := int64(v.Value(i))
		unit := v.DataType().(*arrow.TimestampType).Unit
		s.I64[row] = t * int64(unit.Multiplier())
		return nil
	default:
		return fmt.Errorf("spark gave a %s, which fs does not read", a.DataType())
	}
	if micros && s.Type == transforms.Timestamp {
		s.I64[row] *= 1000
	}
	return nil
}
