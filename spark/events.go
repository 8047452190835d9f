package spark

import (
	"context"
	"fmt"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
)

var _ materialize.EventReader = (*Engine)(nil)

// ReadEvents implements materialize.EventReader: Spark reads the source's
// files where they are and returns the events that can be candidates (a
// key, a time, created by the cutoff) of the entity rows' keys, in the
// time range asked, in the source's order. fs computes the windows on
// them: the expressions are evaluated by fs, never translated.
func (p *Engine) ReadEvents(ctx context.Context, in materialize.EventsInput) (*featurestore.Table, error) {
	n := 0
	if len(in.Keys) > 0 {
		n = max(len(in.Keys[0].I64), len(in.Keys[0].Str))
	}
	ents, err := entityTable(materialize.PickInput{JoinKeys: in.JoinKeys, EntityKeys: in.Keys, Event: make([]int64, n)})
	if err != nil {
		return nil, err
	}
	defer ents.Release()
	tbl, err := p.queryOver(ctx, ents, fmt.Sprintf("fs_keys_%d", n), "read the events of source "+in.Source.Name,
		func(view string) string { return eventsSQL(in, view) })
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	cols, err := sourceColumns(tbl, 0, in.Source.Name, in.Schema, in.Columns)
	if err != nil {
		return nil, err
	}
	return &featurestore.Table{Rows: int(tbl.NumRows()), Series: cols}, nil
}

// eventsSQL selects the candidate events of the keys in view, files in
// fs's order and rows in file order.
func eventsSQL(in materialize.EventsInput, view string) string {
	ts := "unix_micros(CAST(" + quote(in.Source.TimestampField) + " AS TIMESTAMP))"
	var cols, on []string
	for _, c := range in.Columns {
		cols = append(cols, "s."+quote(c))
	}
	for _, k := range in.JoinKeys {
		on = append(on, "s."+quote(k)+" = e."+quote(k))
	}
	var files []string
	for i, f := range in.Files {
		where := []string{quote(in.Source.TimestampField) + " IS NOT NULL",
			fmt.Sprintf("%s BETWEEN %d AND %d", ts, floorDiv(in.From, 1000), floorDiv(in.To, 1000))}
		for _, k := range in.JoinKeys {
			where = append(where, quote(k)+" IS NOT NULL")
		}
		if f := in.Source.CreatedTimestampField; !in.Cutoff.IsZero() && f != "" {
			where = append(where, fmt.Sprintf("(%s IS NULL OR unix_micros(CAST(%s AS TIMESTAMP)) <= %d)", quote(f), quote(f), floorDiv(in.Cutoff.UnixNano(), 1000)))
		}
		files = append(files, fmt.Sprintf("SELECT *, %d AS _file, _metadata.row_index AS _rowi FROM %s WHERE %s",
			i, table(f), strings.Join(where, " AND ")))
	}
	var keys []string
	for _, k := range in.JoinKeys {
		keys = append(keys, quote(k))
	}
	return fmt.Sprintf("SELECT %s FROM (%s) s LEFT SEMI JOIN (SELECT DISTINCT %s FROM %s) e ON %s ORDER BY s._file, s._rowi",
		strings.Join(cols, ", "), strings.Join(files, " UNION ALL "), strings.Join(keys, ", "), view, strings.Join(on, " AND "))
}
