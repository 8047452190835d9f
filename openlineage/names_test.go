package openlineage

import (
	"testing"

	"github.com/fs-dev/fs/featurestore"
)

func TestDatasetNames(t *testing.T) {
	table := featurestore.TableRef{Catalog: featurestore.Catalog{Name: "lake", Type: "sql", URI: "sqlite:////c.db",
		Warehouse: "s3://warehouse/wh"}, Table: "rides.trips", Snapshot: 7}
	for path, want := range map[string][2]string{
		"/data/stats.parquet":        {"file", "/data/stats.parquet"},
		"s3://team/events/x.parquet": {"s3://team", "events/x.parquet"},
		"s3://team/events/":          {"s3://team", "events/"},
		table.URI():                  {"s3://warehouse/wh", "rides.trips"},
		"hdfs://nn/stats/":           {"file", "hdfs://nn/stats/"},
	} {
		if ns, name := datasetName(path); ns != want[0] || name != want[1] {
			t.Errorf("datasetName(%s) = %s, %s; want %s, %s", path, ns, name, want[0], want[1])
		}
	}
}
