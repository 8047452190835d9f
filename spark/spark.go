package spark

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/spark-connect-go/spark/sql"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/transforms"
)

// Engine picks as-of rows in a Spark Connect server and reads the sources
// at URIs there: a materialize.Engine.
type Engine struct {
	remote  string
	session sql.SparkSession
}

var _ materialize.Engine = (*Engine)(nil)

// Connect opens a session on the Spark Connect server at remote
// (sc://HOST:PORT).
func Connect(ctx context.Context, remote string) (*Engine, error) {
	// Only the handshake is bounded: a server that accepts and never
	// answers is an error, a long query is not.
	hello, cancel := context.WithTimeout(ctx, ConnectWithin)
	defer cancel()
	s, err := sql.NewSessionBuilder().Remote(remote).Build(ctx)
	if err != nil {
		return nil, unreachable(remote, err)
	}
	if _, err := s.Sql(hello, "SET spark.sql.session.timeZone=UTC"); err != nil {
		return nil, unreachable(remote, err)
	}
	p := &Engine{remote: remote, session: s}
	if err := p.checkVersion(hello); err != nil {
		s.Stop()
		return nil, err
	}
	return p, nil
}

// ConnectWithin bounds the handshake with a Spark Connect server (a fresh
// server answers its first query in 15 to 25 s).
const ConnectWithin = 2 * time.Minute

// MinVersion is the oldest Spark the engine runs on: Spark Connect with
// the _metadata.row_index column of parquet files (3.5).
const MinVersion = "3.5"

// checkVersion refuses a server older than MinVersion.
func (p *Engine) checkVersion(ctx context.Context) error {
	df, err := p.session.Sql(ctx, "SELECT version()")
	if err != nil {
		return unreachable(p.remote, err)
	}
	rows, err := df.Collect(ctx)
	if err != nil || len(rows) == 0 {
		return unreachable(p.remote, err)
	}
	v := fmt.Sprint(rows[0].At(0)) // "4.3.0 <commit>"
	if !versionAtLeast(v, MinVersion) {
		return featurestore.Errorf(featurestore.EINVALID, "the Spark server at %s is Spark %s; the spark engine needs %s or later", p.remote, v, MinVersion).
			WithHint("upgrade the server, or materialize with --engine local")
	}
	return nil
}

// versionAtLeast compares dotted versions by their numbers.
func versionAtLeast(v, min string) bool {
	f := strings.Fields(v)
	if len(f) == 0 {
		return false
	}
	have, want := strings.Split(f[0], "."), strings.Split(min, ".")
	for i := range want {
		var h, w int
		if i < len(have) {
			fmt.Sscan(have[i], &h)
		}
		fmt.Sscan(want[i], &w)
		if h != w {
			return h > w
		}
	}
	return true
}

// Close ends the session.
func (p *Engine) Close() error { return p.session.Stop() }

func unreachable(remote string, err error) error {
	return &featurestore.Error{Code: featurestore.ENOSTORE, Message: "cannot reach the Spark Connect server at " + remote, Err: err,
		Hint: "start one (docs/spark.md shows how), or check --spark-remote and SPARK_REMOTE"}
}

// Pick implements materialize.Picker.
func (p *Engine) Pick(ctx context.Context, in materialize.PickInput) (*materialize.Picked, error) {
	n := len(in.Event)
	ents, err := entityTable(in)
	if err != nil {
		return nil, err
	}
	defer ents.Release()
	tbl, err := p.queryOver(ctx, ents, fmt.Sprintf("fs_entities_%d", n), "pick the rows of source "+in.Source.Name,
		func(view string) string { return pickSQL(in, view) })
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	out, err := picked(tbl, in, n)
	if err != nil {
		return nil, err
	}
	if err := p.noteCreated(ctx, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// queryOver uploads rows as the temporary view named view, runs the query
// built over it and returns Spark's answer (the caller releases it); what
// names the step in errors.
func (p *Engine) queryOver(ctx context.Context, rows arrow.Table, view, what string, query func(view string) string) (arrow.Table, error) {
	df, err := p.session.CreateDataFrameFromArrow(ctx, rows)
	if err != nil {
		return nil, p.failed("upload the entity rows", err)
	}
	if err := df.CreateTempView(ctx, view, true, false); err != nil {
		return nil, p.failed("upload the entity rows", err)
	}
	res, err := p.session.Sql(ctx, query(view))
	if err != nil {
		return nil, p.failed(what, err)
	}
	tbl, err := res.ToArrow(ctx)
	if err != nil {
		return nil, p.failed(what, err)
	}
	return *tbl, nil
}

// noteCreated asks Spark whether the source has created times and one by
// the cutoff, as the local pickers note while they read.
func (p *Engine) noteCreated(ctx context.Context, in materialize.PickInput, out *materialize.Picked) error {
	q := createdSQL(in)
	if q == "" {
		return nil
	}
	res, err := p.session.Sql(ctx, q)
	if err != nil {
		return p.failed("read the created times of source "+in.Source.Name, err)
	}
	rows, err := res.Collect(ctx)
	if err != nil {
		return p.failed("read the created times of source "+in.Source.Name, err)
	}
	if len(rows) != 1 || len(rows[0].Values()) != 2 {
		return fmt.Errorf("spark answered %d rows for the created times of source %s", len(rows), in.Source.Name)
	}
	n, by := rows[0].Values()[0], rows[0].Values()[1]
	out.AnyCreated, out.CreatedByCutoff = positive(n), positive(by)
	return nil
}

// positive reports whether a count Spark answered is above zero.
func positive(v any) bool {
	switch n := v.(type) {
	case int64:
		return n > 0
	case int32:
		return n > 0
	}
	return false
}

// createdSQL counts the source rows with a created time and those created
// by the cutoff ("" without a cutoff or a created time).
func createdSQL(in materialize.PickInput) string {
	f := in.Source.CreatedTimestampField
	if in.Cutoff.IsZero() || f == "" || len(in.Files) == 0 {
		return ""
	}
	created := "unix_micros(CAST(" + quote(f) + " AS TIMESTAMP))"
	var files []string
	for _, file := range in.Files {
		files = append(files, fmt.Sprintf("SELECT %s AS _created FROM %s", created, table(file)))
	}
	return fmt.Sprintf("SELECT count(_created) AS _any, count_if(_created <= %d) AS _by FROM (%s)",
		floorDiv(in.Cutoff.UnixNano(), 1000), strings.Join(files, " UNION ALL "))
}

func (p *Engine) failed(what string, err error) error {
	return &featurestore.Error{Code: featurestore.EINVALID, Message: fmt.Sprintf("Spark could not %s", what), Err: err,
		Hint: "check that the Spark server can read the source files at the paths fs gives (a shared file system or URIs Spark reads)"}
}

// quote is a Spark SQL identifier.
func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// table is the SQL of a parquet file or object read where it is: an s3://
// object through Hadoop's S3A connector (s3a://), which the server needs
// (hadoop-aws), as a path otherwise.
func table(path string) string {
	if rest, ok := strings.CutPrefix(path, "s3://"); ok {
		path = "s3a://" + rest
	}
	return "parquet." + quote(path)
}

// pickSQL unions the source rows (kind 0: not null keys and time, created
// by the cutoff) with the entity rows (kind 1) and keeps, for each entity
// row, the last source row before it in fs's order: time, then source
// before entity, then created (nulls first), then file, then row.
func pickSQL(in materialize.PickInput, view string) string {
	var keys []string
	for _, k := range in.JoinKeys {
		keys = append(keys, quote(k))
	}
	keyList := strings.Join(keys, ", ")
	var vals []string
	for _, c := range in.Columns {
		vals = append(vals, quote(c))
	}
	ts := "unix_micros(CAST(" + quote(in.Source.TimestampField) + " AS TIMESTAMP))"
	created := "CAST(NULL AS BIGINT)"
	if f := in.Source.CreatedTimestampField; f != "" {
		created = "unix_micros(CAST(" + quote(f) + " AS TIMESTAMP))"
	}
	var files []string
	for i, f := range in.Files {
		where := []string{quote(in.Source.TimestampField) + " IS NOT NULL"}
		for _, k := range keys {
			where = append(where, k+" IS NOT NULL")
		}
		if !in.Cutoff.IsZero() && in.Source.CreatedTimestampField != "" {
			where = append(where, fmt.Sprintf("(%s IS NULL OR %s <= %d)", quote(in.Source.CreatedTimestampField), created, floorDiv(in.Cutoff.UnixNano(), 1000)))
		}
		files = append(files, fmt.Sprintf("SELECT %s, %s AS _ts, 0 AS _kind, %s AS _created, %d AS _file, _metadata.row_index AS _rowi, "+
			"named_struct('_ts', %s, %s) AS _v, CAST(NULL AS BIGINT) AS _row FROM %s WHERE %s",
			keyList, ts, created, i, ts, namedFields(in.Columns), table(f), strings.Join(where, " AND ")))
	}
	union := strings.Join(files, " UNION ALL ")
	return fmt.Sprintf(`WITH src AS (%s),
u AS (
  SELECT * FROM src
  UNION ALL
  SELECT %s, _event AS _ts, 1 AS _kind, CAST(NULL AS BIGINT), CAST(NULL AS INT), CAST(NULL AS BIGINT), NULL, _row FROM %s
),
w AS (
  SELECT _row, _kind, last_value(_v, true) OVER (PARTITION BY %s ORDER BY _ts, _kind, _created NULLS FIRST, _file, _rowi
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS _pick FROM u
)
SELECT _row, _pick._ts AS _picked_ts, %s FROM w WHERE _kind = 1 ORDER BY _row`,
		union, keyList, view, keyList, pickedFields(in.Columns))
}

func namedFields(cols []string) string {
	var out []string
	for _, c := range cols {
		out = append(out, fmt.Sprintf("'%s', %s", strings.ReplaceAll(c, "'", "\\'"), quote(c)))
	}
	return strings.Join(out, ", ")
}

func pickedFields(cols []string) string {
	var out []string
	for _, c := range cols {
		out = append(out, "_pick."+quote(c)+" AS "+quote(c))
	}
	return strings.Join(out, ", ")
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// entityTable is the entity rows as Arrow: their row number, keys and
// event time in microseconds (floored: a source time in microseconds is at
// or before the event exactly when it is at or before the floor).
func entityTable(in materialize.PickInput) (arrow.Table, error) {
	mem := memory.DefaultAllocator
	n := len(in.Event)
	fields := []arrow.Field{{Name: "_row", Type: arrow.PrimitiveTypes.Int64}}
	row := array.NewInt64Builder(mem)
	event := array.NewInt64Builder(mem)
	for i := 0; i < n; i++ {
		row.Append(int64(i))
		event.Append(floorDiv(in.Event[i], 1000))
	}
	cols := []arrow.Array{row.NewArray()}
	for ki, k := range in.EntityKeys {
		a, typ, err := keyArray(mem, k, n)
		if err != nil {
			return nil, err
		}
		fields = append(fields, arrow.Field{Name: in.JoinKeys[ki], Type: typ, Nullable: true})
		cols = append(cols, a)
	}
	fields = append(fields, arrow.Field{Name: "_event", Type: arrow.PrimitiveTypes.Int64})
	cols = append(cols, event.NewArray())
	schema := arrow.NewSchema(fields, nil)
	rec := array.NewRecord(schema, cols, int64(n))
	defer rec.Release()
	return array.NewTableFromRecords(schema, []arrow.Record{rec}), nil
}

func keyArray(mem memory.Allocator, s *featurestore.Series, n int) (arrow.Array, arrow.DataType, error) {
	switch s.Type {
	case transforms.Int64:
		b := array.NewInt64Builder(mem)
		for i := 0; i < n; i++ {
			if s.Null(i) {
				b.AppendNull()
			} else {
				b.Append(s.I64[i])
			}
		}
		return b.NewArray(), arrow.PrimitiveTypes.Int64, nil
	case transforms.String:
		b := array.NewStringBuilder(mem)
		for i := 0; i < n; i++ {
			if s.Null(i) {
				b.AppendNull()
			} else {
				b.Append(s.Str[i])
			}
		}
		return b.NewArray(), arrow.BinaryTypes.String, nil
	}
	return nil, nil, featurestore.Errorf(featurestore.EINVALID, "join key %s is %s: the Spark engine takes int64 and string keys", s.Name, s.Type)
}
