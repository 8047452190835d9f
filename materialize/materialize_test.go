package materialize

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2021, 4, 16, 20, 29, 28, 0, time.UTC)
	for _, s := range []string{
		"2021-04-16T20:29:28Z", "2021-04-16 20:29:28+00:00", "2021-04-16 20:29:28", "2021-04-16T20:29:28",
		"2021-04-16T22:29:28+02:00", "2021-04-16 15:29:28-05:00", " 2021-04-16 20:29:28+0000 ",
	} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
		}
	}
	if got, err := ParseTime("2021-04-16 20:29:28.123456+00:00"); err != nil || got.Nanosecond() != 123456000 {
		t.Errorf("fractional seconds: %v, %v", got, err)
	}
	if got, err := ParseTime("2021-04-16"); err != nil || !got.Equal(time.Date(2021, 4, 16, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date: %v, %v", got, err)
	}
	for _, s := range []string{"", "yesterday", "2021-13-01", "16/04/2021", "1618604968"} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadCSVEntities(t *testing.T) {
	keys := map[string]transforms.Type{"driver_id": transforms.Int64}
	for name, sep := range map[string]string{"comma": ",", "tab": "\t"} {
		content := strings.ReplaceAll("event_timestamp,driver_id,label,score,ok,note\n"+
			"2021-04-16 20:29:28+00:00,1001,1,0.5,true,a\n"+
			"2021-04-17T04:29:28Z,1002,0,,false,\n"+
			"2021-04-17 12:29:28,1001,1,2,true,\"x,y\"\n", ",", sep)
		if sep == "\t" {
			content = strings.ReplaceAll(content, "\"x\ty\"", "x,y")
		}
		e, err := ReadEntities(context.Background(), writeFile(t, "e.csv", content), "event_timestamp", keys)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tab := e.Table
		if tab.Rows != 3 {
			t.Fatalf("%s: %d rows", name, tab.Rows)
		}
		types := map[string]transforms.Type{}
		for _, s := range tab.Series {
			types[s.Name] = s.Type
		}
		want := map[string]transforms.Type{"event_timestamp": "timestamp", "driver_id": "int64", "label": "int64",
			"score": "float64", "ok": "bool", "note": "string"}
		for k, v := range want {
			if types[k] != v {
				t.Errorf("%s: column %s is %s, want %s", name, k, types[k], v)
			}
		}
		if s := tab.Lookup("score"); !s.Null(1) || s.F64[2] != 2 {
			t.Errorf("%s: score = %v valid %v", name, s.F64, s.Valid)
		}
		if s := tab.Lookup("note"); !s.Null(1) || s.Str[2] != "x,y" {
			t.Errorf("%s: note = %q", name, s.Str)
		}
		ts := tab.Lookup("event_timestamp").I64
		if time.Unix(0, ts[2]).UTC() != time.Date(2021, 4, 17, 12, 29, 28, 0, time.UTC) {
			t.Errorf("%s: a timestamp without a zone is not UTC: %v", name, time.Unix(0, ts[2]).UTC())
		}
		if len(e.Digest) != 64 {
			t.Errorf("digest %q", e.Digest)
		}
	}
}

func TestReadCSVEntitiesErrors(t *testing.T) {
	keys := map[string]transforms.Type{"driver_id": transforms.Int64}
	cases := map[string]string{
		"event_timestamp,driver_id\n2021-04-16,1001\nnot a time,1002\n": `e.csv:3: column event_timestamp: cannot read "not a time" as a timestamp`,
		"event_timestamp,driver_id\n2021-04-16,abc\n":                   `e.csv:2: column driver_id: "abc" is not an integer`,
		"event_timestamp,driver_id\n,1001\n":                            `e.csv:2: column event_timestamp is empty`,
		"ts,driver_id\n2021-04-16,1001\n":                               `has no timestamp column "event_timestamp"`,
		"event_timestamp,driver\n2021-04-16,1001\n":                     `has no join key column "driver_id"`,
		"event_timestamp,driver_id\n2021-04-16,1001,3\n":                `e.csv:2:`,
		"": `is empty`,
	}
	for content, want := range cases {
		_, err := ReadEntities(context.Background(), writeFile(t, "e.csv", content), "event_timestamp", keys)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", content, err, want)
		}
		if featurestore.ErrorHint(err) == "" && content != "" {
			t.Errorf("%q: no hint", content)
		}
	}
}

// series builds an int64 or timestamp series; -1 means null.
func series(name string, typ transforms.Type, vals ...int64) *featurestore.Series {
	s := featurestore.NewSeries(name, typ, len(vals))
	for i, v := range vals {
		if v == -1 {
			s.SetNull(i, len(vals))
		} else {
			s.I64[i] = v
		}
	}
	return s
}

// pickAt picks for entity rows with keys ent at times at.
func pickAt(src asOfSource, ent []*featurestore.Series, at ...int64) []int32 {
	sel, _ := pickLatest(src, asOfQueries{key: keyFuncFor(ent), event: at})
	return sel
}

func TestPickTieRules(t *testing.T) {
	// row:      0   1   2   3   4   5   6   7   8
	key := series("k", transforms.Int64, 1, 1, 1, 1, 1, 2, 2, 2, -1)
	ts := series("ts", transforms.Timestamp, 10, 20, 20, 20, 30, 10, 10, -1, 10)
	created := series("c", transforms.Timestamp, 5, 25, 40, 25, 90, -1, 11, 1, 1)
	src := asOfSource{keys: []*featurestore.Series{key}, ts: ts, created: created, cutoff: 50, hasCutoff: true}
	ent := []*featurestore.Series{series("k", transforms.Int64, 1, 1, 1, 1, 2, 3, -1)}
	got := pickAt(src, ent, 9, 10, 25, 35, 10, 100, 100)
	for i, want := range []int32{
		-1, // before every row
		0,  // at the timestamp: included
		2,  // ts 20 has rows 1, 2, 3: the latest created (40) wins over 25 and 25
		2,  // row 4 (ts 30) was created after the cutoff 50: ignored
		6,  // rows 5 and 6 tie on ts; 6 has a created time, 5 none (earliest)
		-1, // unknown key
		-1, // null key
	} {
		if got[i] != want {
			t.Errorf("entity %d: row %d, want %d", i, got[i], want)
		}
	}
	// Rows 1 and 3 tie on timestamp and created: the later one in the
	// source wins. Without a cutoff the late row 4 counts.
	src = asOfSource{keys: src.keys, ts: ts, created: series("c", transforms.Timestamp, 5, 25, 20, 25, 90, -1, 11, 1, 1)}
	if got := pickAt(src, ent[:1], 25, 35); got[0] != 3 || got[1] != 4 {
		t.Errorf("tie on timestamp and created, then no cutoff: rows %v, want [3 4]", got)
	}
}

func TestPickStringAndCompositeKeys(t *testing.T) {
	city := featurestore.NewSeries("city", transforms.String, 4)
	copy(city.Str, []string{"a", "b", "a", "a"})
	zone := series("zone", transforms.Int64, 1, 1, 2, 1)
	src := asOfSource{keys: []*featurestore.Series{city, zone}, ts: series("ts", transforms.Timestamp, 1, 2, 3, 4)}
	ec := featurestore.NewSeries("city", transforms.String, 3)
	copy(ec.Str, []string{"a", "a", "b"})
	ez := series("zone", transforms.Int64, 1, 2, 2)
	got := pickAt(src, []*featurestore.Series{ec, ez}, 10, 10, 10)
	for i, want := range []int32{3, 2, -1} {
		if got[i] != want {
			t.Errorf("entity %d: row %d, want %d", i, got[i], want)
		}
	}
}
