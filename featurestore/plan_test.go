package featurestore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/featurestore/yaml"
)

// fixture is a directory with the demo's driver stats and a fresh store.
type fixture struct {
	t   *testing.T
	dir string
	reg *badger.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	if err := demo.WriteDriverStats(filepath.Join(dir, "driver_stats.parquet"), demo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	if err := demo.WriteTrips(filepath.Join(dir, "trips.parquet"), demo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	reg, err := badger.NewInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return &fixture{t: t, dir: dir, reg: reg}
}

// plan parses def and plans it against the fixture's store.
func (f *fixture) plan(def string) (*featurestore.Plan, error) {
	f.t.Helper()
	defs, err := yaml.Parse("features.yaml", f.dir, []byte(def))
	if err != nil {
		return nil, err
	}
	return featurestore.PlanRegister(context.Background(), defs, parquet.SchemaReader{}, f.reg, f.dir, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

func (f *fixture) mustPlan(def string) *featurestore.Plan {
	f.t.Helper()
	p, err := f.plan(def)
	if err != nil {
		f.t.Fatalf("plan: %v", err)
	}
	return p
}

func (f *fixture) register(def string) *featurestore.Plan {
	f.t.Helper()
	p := f.mustPlan(def)
	if err := f.reg.Apply(context.Background(), p); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func ids(p *featurestore.Plan) map[string]string {
	out := map[string]string{}
	for _, ch := range p.Sources {
		out["source:"+ch.Name] = ch.ID.String()
	}
	for _, ch := range p.Features {
		out[ch.Name] = ch.ID.String()
	}
	for _, ch := range p.FeatureSets {
		out["set:"+ch.Name] = ch.ID.String()
	}
	return out
}

func statuses(p *featurestore.Plan) map[string]string {
	out := map[string]string{}
	for _, ch := range p.Features {
		out[ch.Name] = string(ch.Status)
	}
	for _, ch := range p.FeatureSets {
		out["set:"+ch.Name] = string(ch.Status)
	}
	return out
}

// TestGoldenVersions pins the versions of the demo's features. They must
// not change across processes, machines or Go versions; a change to the
// versioning rule must be deliberate and change these together with the
// descriptor format line.
func TestGoldenVersions(t *testing.T) {
	f := newFixture(t)
	got := ids(f.mustPlan(demo.Definitions))
	want := map[string]string{
		"conv_rate":           "e8acb2bb2fa1e94fc32cf85701428bf81a559a37064cba8efcc755031f440c02",
		"acc_rate":            "c78aa1ded06566839b1e5829c1796141fd4a6799b2a1188fe0392bbf2ee8dcc7",
		"avg_daily_trips":     "a8495ec86d434eea02770647cc7a15e8d5798d60694f4892477cc89092c9240d",
		"trips_per_hour":      "ab7a234b4e61aa5925d8c3f8be36c0980ef44a7831a5e42b1b8c1d0ffc95af64",
		"engagement":          "57436e1ba4ea010571ecfe38fc5f464d69ac560581773db5fa6ce138afe87caf",
		"set:driver_ranking":  "62f182d8c37d9a79c344533461af7a4021178e0c2450aa5f491d2b9f71374fce",
		"trips_7d":            "5a30ab586baa3b53dfc91d5370e91edd9916d60e418c4bf4f9efcef780da9fdd",
		"fare_mean_7d":        "0d99219bbad9fc87817c49966f56d2f11e948f68f9dcb18123ce82a36d24234c",
		"long_trips_1d":       "81828b851730cb96baea30b7716df7ae3fe061a654525e755972bd4058e7ac77",
		"source:trips":        "b1716f2e628203e774ce755fc472e3647cdc9925bcad7649838f42b02a1abddf",
		"source:driver_stats": "fe51b002932227659ca8241123d4e1fa127b108464857e9df7ddeef09f9fcc70",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
}

// TestGoldenDescriptor pins the descriptor texts of a source and a feature
// and their hashes without any file, so a change of the format is caught
// even if parquet reading moved.
func TestGoldenDescriptor(t *testing.T) {
	ent := featurestore.Entity{Name: "driver", JoinKeys: []string{"driver_id"}}
	src := featurestore.Source{Name: "driver_stats", Path: "/project/driver_stats.parquet", Entity: "driver",
		TimestampField: "datetime", CreatedTimestampField: "created"}
	sv := featurestore.NewSourceVersion(src, ent, "/project")
	wantSrc := "fs source v1\n" +
		"location 20:driver_stats.parquet\n" +
		"format 7:parquet\n" +
		"entity 6:driver\n" +
		"join_keys 9:driver_id\n" +
		"timestamp_field 8:datetime\n" +
		"created_timestamp_field 7:created\n"
	if sv.Descriptor != wantSrc {
		t.Fatalf("source descriptor =\n%s\nwant\n%s", sv.Descriptor, wantSrc)
	}
	// Both hashes were checked with Python's hashlib on the texts here.
	if got := sv.ID.String(); got != "fe51b002932227659ca8241123d4e1fa127b108464857e9df7ddeef09f9fcc70" {
		t.Errorf("source hash = %s", got)
	}
	cols := []featurestore.Column{{Name: "avg_daily_trips", Physical: "INT64"}}
	desc := featurestore.FeatureDescriptor("(avg_daily_trips / 24.0)", "float64", 720*time.Hour, sv.ID, cols, nil)
	wantDesc := "fs feature v2\n" +
		"expr 24:(avg_daily_trips / 24.0)\n" +
		"type 7:float64\n" +
		"ttl 16:2592000000000000\n" +
		"source 64:" + sv.ID.String() + "\n" +
		"column 15:avg_daily_trips 5:INT64\n"
	if desc != wantDesc {
		t.Fatalf("descriptor =\n%s\nwant\n%s", desc, wantDesc)
	}
	if got := featurestore.Hash([]byte(desc)).String(); got != "01e90dcaea242209128a51e7bdaee1366db2b3a0f51df708bce39d2eea46acd4" {
		t.Errorf("hash = %s", got)
	}
}

const base = `
entities:
  - name: driver
    join_keys: [driver_id]
sources:
  - name: driver_stats
    path: driver_stats.parquet
    entity: driver
    timestamp_field: datetime
    created_timestamp_field: created
features:
  - name: trips_per_hour
    source: driver_stats
    expr: avg_daily_trips / 24.0
    ttl: 720h
    description: trips per hour
  - name: engagement
    source: driver_stats
    expr: conv_rate * acc_rate + trips_per_hour / 100
feature_sets:
  - name: ranking
    features: [trips_per_hour, engagement]
`

func TestVersionInvariance(t *testing.T) {
	f := newFixture(t)
	orig := ids(f.mustPlan(base))
	same := map[string]string{
		"whitespace and parentheses":              strings.Replace(base, "avg_daily_trips / 24.0", "((avg_daily_trips)/ 24.0 )", 1),
		"description":                             strings.Replace(base, "description: trips per hour", "description: other words\n    owner: ana\n    tags: [x]", 1),
		"operator spelling":                       strings.Replace(base, "conv_rate * acc_rate", "(conv_rate*acc_rate)", 1),
		"ttl spelling":                            strings.Replace(base, "ttl: 720h", "ttl: 30d", 1),
		"source path":                             strings.Replace(base, "path: driver_stats.parquet", "path: ./driver_stats.parquet", 1),
		"declared type equal to the inferred one": strings.Replace(base, "ttl: 720h", "ttl: 720h\n    type: float64", 1),
		"block scalar":                            strings.Replace(base, "expr: avg_daily_trips / 24.0", "expr: |\n      avg_daily_trips /\n        24.0", 1),
	}
	for what, def := range same {
		if got := ids(f.mustPlan(def)); got["trips_per_hour"] != orig["trips_per_hour"] || got["engagement"] != orig["engagement"] || got["set:ranking"] != orig["set:ranking"] {
			t.Errorf("%s changed a version: %v vs %v", what, got, orig)
		}
	}
	changed := map[string]string{
		"int literal":   strings.Replace(base, "avg_daily_trips / 24.0", "avg_daily_trips / 24", 1),
		"ttl":           strings.Replace(base, "ttl: 720h", "ttl: 721h", 1),
		"no ttl":        strings.Replace(base, "    ttl: 720h\n", "", 1),
		"type":          strings.Replace(base, "expr: avg_daily_trips / 24.0", "expr: avg_daily_trips * 2\n    type: float64", 1),
		"created field": strings.Replace(base, "    created_timestamp_field: created\n", "", 1),
		"join keys":     strings.Replace(base, "join_keys: [driver_id]", "join_keys: [driver_id, avg_daily_trips]", 1),
		"entity name":   strings.Replace(strings.Replace(base, "name: driver\n", "name: chauffeur\n", 1), "entity: driver", "entity: chauffeur", 1),
		"operand order": strings.Replace(base, "avg_daily_trips / 24.0", "(1.0 / 24.0) * avg_daily_trips", 1),
	}
	// The output type is part of the version: int64 and float64 results
	// of the same expression differ.
	asInt := ids(f.mustPlan(strings.Replace(base, "expr: avg_daily_trips / 24.0", "expr: avg_daily_trips * 2", 1)))
	if asFloat := ids(f.mustPlan(changed["type"])); asInt["trips_per_hour"] == asFloat["trips_per_hour"] {
		t.Error("declaring float64 over an int64 expression kept the version")
	}
	for what, def := range changed {
		p, err := f.plan(def)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		got := ids(p)
		if got["trips_per_hour"] == orig["trips_per_hour"] {
			t.Errorf("%s did not change the version of trips_per_hour", what)
		}
		// Merkle: engagement reads trips_per_hour, so it changes too, and so
		// does the feature set.
		if got["engagement"] == orig["engagement"] || got["set:ranking"] == orig["set:ranking"] {
			t.Errorf("%s: a dependency changed but engagement or the set kept its version", what)
		}
	}
}

// writeParquet writes rows to dir/name.
func writeParquet[T any](t *testing.T, dir, name string, rows []T) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	w := pq.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

type rows64 struct {
	Datetime int64   `parquet:"datetime,timestamp(microsecond:utc)"`
	DriverID int64   `parquet:"driver_id"`
	ConvRate float64 `parquet:"conv_rate"`
}

type rows32 struct {
	Datetime int64   `parquet:"datetime,timestamp(microsecond:utc)"`
	DriverID int64   `parquet:"driver_id"`
	ConvRate float32 `parquet:"conv_rate"`
}

func TestPhysicalTypeChangesVersion(t *testing.T) {
	f := newFixture(t)
	writeParquet(t, f.dir, "a.parquet", []rows64{{1, 1, 0.5}})
	writeParquet(t, f.dir, "b.parquet", []rows32{{1, 1, 0.5}})
	def := func(path string) string {
		return "entities: [{name: driver, join_keys: [driver_id]}]\n" +
			"sources: [{name: s, path: " + path + ", entity: driver, timestamp_field: datetime}]\n" +
			"features: [{name: conv, source: s, expr: conv_rate}]\n"
	}
	a, b := ids(f.mustPlan(def("a.parquet"))), ids(f.mustPlan(def("b.parquet")))
	if a["conv"] == b["conv"] {
		t.Error("float32 and float64 columns gave the same version")
	}
	// The same schema under another path is other data: another version.
	writeParquet(t, f.dir, "c.parquet", []rows64{{2, 2, 0.7}})
	if c := ids(f.mustPlan(def("c.parquet"))); c["conv"] == a["conv"] {
		t.Error("moving a source to another file of the same schema kept the version")
	}
}

func TestRegisterStatuses(t *testing.T) {
	f := newFixture(t)
	p1 := f.register(base)
	if s := statuses(p1); s["trips_per_hour"] != "new" || s["engagement"] != "new" || s["set:ranking"] != "new" {
		t.Fatalf("first register: %v", s)
	}
	if s := statuses(f.register(base)); s["trips_per_hour"] != "unchanged" || s["set:ranking"] != "unchanged" {
		t.Fatalf("same file again: %v", s)
	}
	p3 := f.register(strings.Replace(base, "24.0", "24", 1))
	s := statuses(p3)
	if s["trips_per_hour"] != "changed" || s["engagement"] != "changed" || s["set:ranking"] != "changed" {
		t.Fatalf("after a change: %v", s)
	}
	if p3.Features[0].Previous == nil || *p3.Features[0].Previous != p1.Features[0].ID {
		t.Errorf("Previous = %v, want %s", p3.Features[0].Previous, p1.Features[0].ID.Short())
	}
	// The old version stays readable and pinnable.
	ctx := context.Background()
	if _, err := f.reg.FeatureVersion(ctx, p1.Features[0].ID); err != nil {
		t.Errorf("old version: %v", err)
	}
	pinned := strings.Replace(base, "features: [trips_per_hour, engagement]",
		"features: [trips_per_hour@"+p1.Features[0].ID.Short()+", engagement]", 1)
	p4 := f.mustPlan(pinned)
	if p4.FeatureSets[0].Version.Members[0].Version != p1.Features[0].ID {
		t.Errorf("pinned member resolved to %s", p4.FeatureSets[0].Version.Members[0].Version.Short())
	}
	// A rename with the same computation is recognisable.
	renamed := strings.Replace(strings.Replace(base, "name: trips_per_hour", "name: hourly_trips", 1),
		"trips_per_hour", "hourly_trips", -1)
	p5 := f.mustPlan(renamed)
	if p5.Features[0].Status != "new" || len(p5.Features[0].SameAs) != 1 || p5.Features[0].SameAs[0] != "trips_per_hour" {
		// hourly_trips has the computation trips_per_hour has now.
		t.Errorf("rename: %+v", p5.Features[0])
	}
}

func TestNameResolution(t *testing.T) {
	f := newFixture(t)
	// A feature's own name is the column; another feature's name is that
	// feature even when a column has the same name.
	def := strings.Replace(base, "features:\n", `features:
  - name: conv_rate
    source: driver_stats
    expr: conv_rate * 100
  - name: uses_feature
    source: driver_stats
    expr: conv_rate + 1
`, 1)
	p := f.mustPlan(def)
	byName := map[string]*featurestore.FeatureVersion{}
	for _, ch := range p.Features {
		byName[ch.Name] = ch.Version
	}
	if v := byName["conv_rate"]; len(v.Columns) != 1 || v.Columns[0].Name != "conv_rate" || len(v.DependsOn) != 0 {
		t.Errorf("conv_rate reads %v / %v, want the column", v.Columns, v.DependsOn)
	}
	if v := byName["uses_feature"]; len(v.DependsOn) != 1 || v.DependsOn[0].Name != "conv_rate" || len(v.Columns) != 0 {
		t.Errorf("uses_feature reads %v / %v, want the feature conv_rate", v.Columns, v.DependsOn)
	}
	if v := byName["engagement"]; len(v.DependsOn) != 2 {
		t.Errorf("engagement depends on %v, want conv_rate and trips_per_hour", v.DependsOn)
	}
}
