package trainer

import (
	"encoding/json"

	"github.com/fs-dev/fs/featurestore"
)

// NewData describes a dataset file for training: table is its content,
// meta its key-value metadata, digest the sha256 of its bytes. A file
// written by fs materialize carries its dataset id and feature versions; any
// other parquet file is named by its digest and has no versions.
func NewData(path string, table *featurestore.Table, meta map[string]string, digest string) (*Data, error) {
	d := &Data{Table: table, Ref: DatasetRef{ID: digest, Path: path, Digest: digest, Rows: table.Rows}}
	id, ok := meta["fs.dataset_id"]
	if !ok {
		return d, nil
	}
	d.Ref.ID, d.Ref.FS = id, true
	d.TimestampColumn = meta["fs.timestamp_column"]
	if err := json.Unmarshal([]byte(meta["fs.features"]), &d.Features); err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s: unreadable fs.features metadata: %v", path, err)
	}
	return d, nil
}
