package parquet

import (
	"context"
	"encoding/binary"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// TimeStats is what the statistics in the files' footers say of a
// timestamp column, in nanoseconds: its largest value and whether it has
// one at all (a value that is not null). Known is false when some row
// group's statistics do not say (none written, an INT96 column, a value
// out of range): the column must then be read to be known.
type TimeStats struct {
	Known   bool
	NonNull bool
	Max     int64
}

// TimeColumnStats reads the footers of files for the statistics of the
// timestamp column name.
func TimeColumnStats(ctx context.Context, files []string, name string) (TimeStats, error) {
	each := make([]TimeStats, len(files))
	errs := eachFooter(ctx, files, func(i int, pf *pq.File) error {
		var err error
		each[i], err = timeStatsOf(pf, name)
		return err
	})
	st := TimeStats{Known: true}
	for i := range files {
		if errs[i] != nil {
			return TimeStats{}, errs[i]
		}
		st.merge(each[i])
		if !st.Known {
			return TimeStats{}, nil
		}
	}
	return st, nil
}

// timeStatsOf is what one file's footer says of the column name.
func timeStatsOf(pf *pq.File, name string) (TimeStats, error) {
	schema, err := schemaOf(pf.Metadata().Schema)
	if err != nil {
		return TimeStats{}, err
	}
	c, ok := schema.Lookup(name)
	leaf, found := pf.Schema().Lookup(name)
	if !ok || !found {
		return TimeStats{}, nil
	}
	phys, unit, ok := columnTime(c)
	if !ok || phys != "INT64" {
		return TimeStats{}, nil
	}
	st := TimeStats{Known: true}
	for _, rg := range pf.Metadata().RowGroups {
		st.add(rg.Columns[leaf.ColumnIndex].MetaData, unit)
	}
	return st, nil
}

// merge takes in another file's statistics of the same column.
func (st *TimeStats) merge(o TimeStats) {
	switch {
	case !o.Known:
		st.Known = false
	case o.NonNull && (!st.NonNull || o.Max > st.Max):
		st.Max, st.NonNull = o.Max, true
	}
}

// add takes in a row group's chunk of the column, its values counting
// unit nanoseconds.
func (st *TimeStats) add(md format.ColumnMetaData, unit int64) {
	s := md.Statistics
	raw := s.MaxValue
	if raw == nil {
		raw = s.Max // signed order, as INT64's is
	}
	switch {
	case len(raw) == 8:
		v := int64(binary.LittleEndian.Uint64(raw))
		lo, hi := scaleBounds(unit)
		if v < lo || v > hi {
			st.Known = false
			return
		}
		if !st.NonNull || v*unit > st.Max {
			st.Max = v * unit
		}
		st.NonNull = true
	case raw == nil && md.NumValues > 0 && s.NullCount == md.NumValues:
		// every value null
	case md.NumValues == 0:
	default:
		st.Known = false
	}
}
