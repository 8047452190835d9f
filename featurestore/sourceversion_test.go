package featurestore_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fs-dev/fs/featurestore"
)

// regions is the reported case: two sources of one schema in two files,
// a feature with the same expression on each.
const regions = `
entities:
  - name: driver
    join_keys: [driver_id]
sources:
  - name: eu_stats
    path: eu.parquet
    entity: driver
    timestamp_field: datetime
  - name: us_stats
    path: us.parquet
    entity: driver
    timestamp_field: datetime
features:
  - name: eu_rate
    source: eu_stats
    expr: conv_rate
  - name: us_rate
    source: us_stats
    expr: conv_rate
`

func writeRegions(t *testing.T, dir string) {
	t.Helper()
	writeParquet(t, dir, "eu.parquet", []rows64{{1, 1, 1.0}})
	writeParquet(t, dir, "us.parquet", []rows64{{1, 1, 2.0}})
	writeParquet(t, dir, "eu_v2.parquet", []rows64{{1, 1, 3.0}})
}

// TestSourcesSeparateVersions: the same expression over two sources gives
// two versions, each recording its own source, and neither is "the same
// computation as" the other.
func TestSourcesSeparateVersions(t *testing.T) {
	f := newFixture(t)
	writeRegions(t, f.dir)
	p := f.register(regions)
	eu, us := p.Features[0], p.Features[1]
	if eu.ID == us.ID {
		t.Fatalf("eu_rate and us_rate share version %s", eu.ID.Short())
	}
	if eu.Version.Source.Name != "eu_stats" || us.Version.Source.Name != "us_stats" ||
		filepath.Base(us.Version.Source.Path) != "us.parquet" {
		t.Errorf("sources recorded: %+v, %+v", eu.Version.Source, us.Version.Source)
	}
	if len(us.SameAs) != 0 || p.Sources[0].ID == p.Sources[1].ID {
		t.Errorf("us_rate same as %v; sources %s, %s", us.SameAs, p.Sources[0].ID.Short(), p.Sources[1].ID.Short())
	}
	if us.Version.SourceVersion != p.Sources[1].ID {
		t.Errorf("us_rate reads source version %s, want us_stats' %s", us.Version.SourceVersion.Short(), p.Sources[1].ID.Short())
	}
	// A second name for the same computation over the same data is a
	// rename; over other data it is not.
	again := regions + "  - name: eu_rate_copy\n    source: eu_stats\n    expr: conv_rate\n"
	p = f.mustPlan(again)
	if got := p.Features[2]; got.ID != eu.ID || fmt.Sprint(got.SameAs) != "[eu_rate]" {
		t.Errorf("eu_rate_copy = %s same as %v, want %s same as [eu_rate]", got.ID.Short(), got.SameAs, eu.ID.Short())
	}
}

// TestMovedSourceReversions: pointing a source at another file changes the
// source (naming the field), re-versions the features on it and their
// dependants, and moves nothing else.
func TestMovedSourceReversions(t *testing.T) {
	f := newFixture(t)
	writeRegions(t, f.dir)
	withDep := regions + "  - name: eu_double\n    source: eu_stats\n    expr: eu_rate * 2\n"
	first := f.register(withDep)
	p := f.register(strings.Replace(withDep, "path: eu.parquet", "path: eu_v2.parquet", 1))
	src := p.Sources[0]
	if src.Status != featurestore.StatusChanged || src.Previous == nil || *src.Previous != first.Sources[0].ID {
		t.Fatalf("eu_stats: %s from %v, want changed from %s", src.Status, src.Previous, first.Sources[0].ID.Short())
	}
	if len(src.Changes) != 1 || src.Changes[0] != (featurestore.FieldChange{Field: "path", A: "eu.parquet", B: "eu_v2.parquet"}) {
		t.Errorf("changes = %+v, want path eu.parquet -> eu_v2.parquet", src.Changes)
	}
	st := statuses(p)
	if st["eu_rate"] != "changed" || st["eu_double"] != "changed" || st["us_rate"] != "unchanged" || p.Sources[1].Status != "unchanged" {
		t.Errorf("statuses = %v, us_stats %s", st, p.Sources[1].Status)
	}
	if got := filepath.Base(p.Features[0].Version.Source.Path); got != "eu_v2.parquet" {
		t.Errorf("eu_rate's new version reads %s", got)
	}
}

// sourceDecl is a source's identity fields, one value each.
type sourceDecl struct {
	path, entity, keys, ts, created string
}

// yaml writes d as a definition file, in one of several equivalent styles.
func (d sourceDecl) yaml(style int, name, description string) string {
	keys := "[" + d.keys + "]"
	created := ""
	if d.created != "" {
		created = "created_timestamp_field: " + d.created
	}
	switch style % 3 {
	case 0:
		s := "entities:\n  - name: " + d.entity + "\n    join_keys: " + keys + "\n" +
			"sources:\n  - name: " + name + "\n    path: " + d.path + "\n    entity: " + d.entity +
			"\n    timestamp_field: " + d.ts + "\n"
		if created != "" {
			s += "    " + created + "\n"
		}
		return s + "features:\n  - name: x\n    source: " + name + "\n    expr: x\n    description: " + description + "\n"
	case 1:
		c := ""
		if created != "" {
			c = ", " + created
		}
		return "# flow style\nentities: [{name: " + d.entity + ", join_keys: " + keys + "}]\n" +
			"sources: [{timestamp_field: " + d.ts + c + ", entity: " + d.entity + ", name: " + name + ", path: ./" + d.path + "}]\n" +
			"features: [{name: x, source: " + name + ", expr: (x)}]\n"
	}
	s := "features:\n- source: " + name + "\n  expr: \"x\"\n  name: x\n  owner: someone\n" +
		"sources:\n- path: '" + d.path + "'\n  name: " + name + "\n  entity: " + d.entity + "\n  timestamp_field: " + d.ts + "\n"
	if created != "" {
		s += "  " + created + "\n"
	}
	return s + "entities:\n- join_keys:\n  - " + strings.ReplaceAll(d.keys, ", ", "\n  - ") + "\n  name: " + d.entity + "\n"
}

// TestSourceIdentityRandomized: random source declarations that differ in
// any identity field never share a version; the same declaration written
// in other styles, under another source name or with other descriptions
// always does.
func TestSourceIdentityRandomized(t *testing.T) {
	f := newFixture(t)
	type row struct {
		Ts      int64   `parquet:"ts,timestamp(microsecond:utc)"`
		Ts2     int64   `parquet:"ts2,timestamp(microsecond:utc)"`
		Created int64   `parquet:"created,timestamp(microsecond:utc)"`
		K1      int64   `parquet:"k1"`
		K2      int64   `parquet:"k2"`
		X       float64 `parquet:"x"`
	}
	for _, name := range []string{"a.parquet", "b.parquet", "d/p1.parquet", "d/p2.parquet"} {
		if err := os.MkdirAll(filepath.Join(f.dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeParquet(t, f.dir, name, []row{{1, 2, 3, 1, 2, 0.5}})
	}
	choices := [][]string{
		{"a.parquet", "b.parquet", "d", "d/*.parquet", "d/p1.parquet"},
		{"driver", "rider"},
		{"k1", "k2", "k1, k2", "k2, k1"},
		{"ts", "ts2"},
		{"", "created", "ts2"},
	}
	rng := rand.New(rand.NewPCG(26, 1))
	byID := map[featurestore.ID]sourceDecl{}
	for i := 0; i < 120; i++ {
		var v [5]string
		for j, c := range choices {
			v[j] = c[rng.IntN(len(c))]
		}
		d := sourceDecl{v[0], v[1], v[2], v[3], v[4]}
		want := ids(f.mustPlan(d.yaml(0, "s", "first")))["x"]
		for style := 1; style < 3; style++ {
			if got := ids(f.mustPlan(d.yaml(style, fmt.Sprintf("s%d", style), "other words")))["x"]; got != want {
				t.Fatalf("%+v in style %d: version %s, want %s", d, style, got[:12], want[:12])
			}
		}
		id, _ := featurestore.ParseID(want)
		if other, ok := byID[id]; ok && other != d {
			t.Fatalf("%+v and %+v share version %s", d, other, id.Short())
		}
		byID[id] = d
	}
	if len(byID) < 60 {
		t.Errorf("only %d distinct declarations drawn", len(byID))
	}
}
