package parquet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// likeRow is a row of a file with physical types fs itself never writes.
type likeRow struct {
	K  int32     `parquet:"k"`
	F  float32   `parquet:"f,optional"`
	Ts time.Time `parquet:"ts,timestamp(millisecond)"`
	S  *string   `parquet:"s,optional"`
}

// TestWriteLikeKeepsTheSchema: rows written like a file of INT32, FLOAT,
// millisecond timestamps and optional strings have that file's schema
// (the source's files still agree) and read back as the values given,
// a float as its nearest float32; what would lose something is refused,
// naming the row and column.
func TestWriteLikeKeepsTheSchema(t *testing.T) {
	dir := t.TempDir()
	like := filepath.Join(dir, "a.parquet")
	s := "x"
	var b bytes.Buffer
	if err := pq.Write(&b, []likeRow{{K: 1, F: 0.5, Ts: time.UnixMilli(1000).UTC(), S: &s}}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(like, b.Bytes(), 0o644)

	rows := func(k int64, f float64, ts int64, str bool) *featurestore.Table {
		tb := &featurestore.Table{Rows: 1}
		kc, fc := featurestore.NewSeries("k", transforms.Int64, 1), featurestore.NewSeries("f", transforms.Float64, 1)
		tc := featurestore.NewSeries("ts", transforms.Timestamp, 1)
		kc.I64[0], fc.F64[0], tc.I64[0] = k, f, ts
		tb.Series = []*featurestore.Series{tc, kc, fc}
		if str {
			sc := featurestore.NewSeries("s", transforms.String, 1)
			sc.SetNull(0, 1)
			tb.Series = append(tb.Series, sc)
		}
		return tb
	}
	out := filepath.Join(dir, "b.parquet")
	b.Reset()
	if err := WriteLike(&b, like, rows(7, 0.1, 2_000_000_000, false)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(out, b.Bytes(), 0o644)
	if _, err := FilesSchema(context.Background(), []string{like, out}); err != nil {
		t.Fatalf("the written file's schema: %v", err)
	}
	got, _, err := ReadTable(context.Background(), []string{out}, []string{"k", "f", "ts", "s"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Lookup("k").I64[0] != 7 || got.Lookup("f").F64[0] != float64(float32(0.1)) ||
		got.Lookup("ts").I64[0] != 2_000_000_000 || !got.Lookup("s").Null(0) {
		t.Fatalf("read back: k %v f %v ts %v s null %v", got.Lookup("k").I64, got.Lookup("f").F64, got.Lookup("ts").I64, got.Lookup("s").Null(0))
	}
	for _, c := range []struct {
		tb   *featurestore.Table
		says string
	}{
		{rows(1<<40, 1, 0, true), "row 1: column k: 1099511627776 does not fit the column's 32 bits"},
		{rows(1, 1, 1_500_000, true), "row 1: column ts: 1970-01-01T00:00:00.0015Z is finer than the column's unit"},
	} {
		if err := WriteLike(&bytes.Buffer{}, like, c.tb); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v, want %q", err, c.says)
		}
	}
	extra := rows(1, 1, 0, true)
	extra.Series = append(extra.Series, featurestore.NewSeries("z", transforms.Int64, 1))
	if err := WriteLike(&bytes.Buffer{}, like, extra); err == nil || !strings.Contains(err.Error(), "a column z, which the source's files do not") {
		t.Errorf("an extra column: %v", err)
	}
	missing := rows(1, 1, 0, true)
	missing.Series = missing.Series[1:] // no ts, which is required
	if err := WriteLike(&bytes.Buffer{}, like, missing); err == nil || !strings.Contains(err.Error(), "no column ts, which the source requires") {
		t.Errorf("a missing required column: %v", err)
	}
}
