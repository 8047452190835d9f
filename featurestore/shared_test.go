package featurestore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fs-dev/fs/featurestore/parquet"
)

// sharedData returns ../shared/data beside the repository (or
// $FS_SHARED_DATA), skipping the test with a clear message when absent.
func sharedData(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("FS_SHARED_DATA"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("../shared/data not found: this test needs the real driver stats beside the repository")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "driver_stats.parquet")); err != nil {
		t.Skipf("%s is absent: this test needs the real driver stats (CI always has them)", data)
	}
	return data
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
// file has the version the same computation has over our own demo file
// (same columns, same physical types), and float32 data re-versions it.
func TestSharedDataVersions(t *testing.T) {
	data := sharedData(t)
	f := newFixture(t)
	def := func(path, created string) string {
		return "entities: [{name: driver, join_keys: [driver_id]}]\n" +
			"sources: [{name: driver_stats, path: " + path + ", entity: driver, timestamp_field: datetime, created_timestamp_field: " + created + "}]\n" +
			"features: [{name: conv_rate, source: driver_stats, expr: conv_rate, description: x}]\n"
	}
	real := ids(f.mustPlan(def(filepath.Join(data, "driver_stats.parquet"), "created")))
	ours := ids(f.mustPlan(def("driver_stats.parquet", "created")))
	if real["conv_rate"] != ours["conv_rate"] {
		t.Errorf("conv_rate over the pandas file = %s, over ours = %s; want equal", real["conv_rate"], ours["conv_rate"])
	}
	stream := ids(f.mustPlan(def(filepath.Join(data, "driver_stats_stream.parquet"), "created")))
	if stream["conv_rate"] == real["conv_rate"] {
		t.Error("float32 stream data gave the float64 version")
	}
	// A glob over both files is refused: their schemas differ.
	_, err := f.plan(def(filepath.Join(data, "driver_stats*.parquet"), "created"))
	if err == nil {
		t.Fatal("a glob over files of different schemas was accepted")
	}
}
