package featurestore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fs-dev/fs/featurestore/parquet"
)

// sharedData returns the real driver data kept in examples/data.
func sharedData(t *testing.T) string {
	t.Helper()
	return filepath.Join("..", "examples", "data")
}

// TestSharedDataSchemas reads the footers of the real pandas exports.
func TestSharedDataSchemas(t *testing.T) {
	data := sharedData(t)
	s, err := parquet.SchemaReader{}.ReadSchema(filepath.Join(data, "driver_stats.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"datetime":        "INT64/TIMESTAMP(MICROS,UTC)",
		"driver_id":       "INT64",
		"conv_rate":       "DOUBLE",
		"acc_rate":        "DOUBLE",
		"avg_daily_trips": "INT64",
		"created":         "INT64/TIMESTAMP(MICROS,LOCAL)",
	}
	for name, phys := range want {
		c, ok := s.Lookup(name)
		if !ok || c.Physical != phys {
			t.Errorf("column %s = %+v, want physical %s", name, c, phys)
		}
	}
	stream, err := parquet.SchemaReader{}.ReadSchema(filepath.Join(data, "driver_stats_stream.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := stream.Lookup("conv_rate"); c.Physical != "FLOAT" || c.Type != "float64" {
		t.Errorf("stream conv_rate = %+v, want FLOAT read as float64", c)
	}
}

// TestSharedDataVersions registers the real files: a feature over a pandas
// file at a project's driver_stats.parquet has the version the same
// computation has over our own demo file at the same place in another
// project (same location, columns and physical types), and float32 data
// re-versions it.
func TestSharedDataVersions(t *testing.T) {
	data := sharedData(t)
	f := newFixture(t)
	def := func(path, created string) string {
		return "entities: [{name: driver, join_keys: [driver_id]}]\n" +
			"sources: [{name: driver_stats, path: " + path + ", entity: driver, timestamp_field: datetime, created_timestamp_field: " + created + "}]\n" +
			"features: [{name: conv_rate, source: driver_stats, expr: conv_rate, description: x}]\n"
	}
	g := newFixture(t)
	copyFile(t, filepath.Join(data, "driver_stats.parquet"), filepath.Join(g.dir, "driver_stats.parquet"))
	real := ids(g.mustPlan(def("driver_stats.parquet", "created")))
	ours := ids(f.mustPlan(def("driver_stats.parquet", "created")))
	if real["conv_rate"] != ours["conv_rate"] {
		t.Errorf("conv_rate over the pandas file = %s, over ours = %s; want equal", real["conv_rate"], ours["conv_rate"])
	}
	copyFile(t, filepath.Join(data, "driver_stats_stream.parquet"), filepath.Join(g.dir, "driver_stats.parquet"))
	stream := ids(g.mustPlan(def("driver_stats.parquet", "created")))
	if stream["conv_rate"] == real["conv_rate"] {
		t.Error("float32 stream data gave the float64 version")
	}
	// A glob over both files is refused: their schemas differ.
	_, err := f.plan(def(filepath.Join(data, "driver_stats*.parquet"), "created"))
	if err == nil {
		t.Fatal("a glob over files of different schemas was accepted")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
