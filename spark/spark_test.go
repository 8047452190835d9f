package spark

import (
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/transforms"
)

// Times floor to the microsecond, also before 1970: a source time in
// microseconds is at or before an event exactly when it is at or before
// the event's floor.
func TestFloorDiv(t *testing.T) {
	for _, c := range [][3]int64{{1999, 1000, 1}, {2000, 1000, 2}, {-1, 1000, -1}, {-1000, 1000, -1}, {-1001, 1000, -2}, {0, 1000, 0}} {
		if got := floorDiv(c[0], c[1]); got != c[2] {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

// The pick's order is fs's tie rule, files keep fs's order, and every
// name is quoted.
func TestPickSQL(t *testing.T) {
	in := materialize.PickInput{
		Source:   featurestore.Source{Name: "s", TimestampField: "ts", CreatedTimestampField: "created"},
		Files:    []string{"/data/a`b.parquet", "/data/c.parquet"},
		JoinKeys: []string{"driver_id"}, Columns: []string{"driver_id", "ts", "x"},
		Cutoff: time.Unix(0, 1_500_000_999),
	}
	q := pickSQL(in, "ents")
	for _, want := range []string{
		"ORDER BY _ts, _kind, _created NULLS FIRST, _file, _rowi",
		"0 AS _file", "1 AS _file", "parquet.`/data/a``b.parquet`",
		"<= 1500000)", // the cutoff floored to the microsecond
		"WHERE _kind = 1 ORDER BY _row",
	} {
		if !strings.Contains(q, want) {
			t.Errorf("the pick has no %q:\n%s", want, q)
		}
	}
}

func TestKeysMustBeIntegersOrStrings(t *testing.T) {
	s := featurestore.NewSeries("k", transforms.Float64, 1)
	in := materialize.PickInput{JoinKeys: []string{"k"}, EntityKeys: []*featurestore.Series{s}, Event: []int64{0}}
	if _, err := entityTable(in); err == nil || !strings.Contains(err.Error(), "int64 and string keys") {
		t.Errorf("a float key: %v", err)
	}
}

func TestVersionAtLeast(t *testing.T) {
	for v, want := range map[string]bool{"4.3.0 abc": true, "3.5.1": true, "3.5": true, "3.4.9": false, "2.4.8": false, "10.0": true, "": false} {
		if got := versionAtLeast(v, MinVersion); got != want {
			t.Errorf("versionAtLeast(%q) = %v", v, got)
		}
	}
}
