package trainer

import (
	"github.com/fs-dev/fs/featurestore"
)

// NewData describes a dataset file for training: table is its content,
// meta its key-value metadata, digest the sha256 of its bytes. A file
// written by fs materialize carries its dataset id and feature versions; any
// other parquet file is named by its digest and has no versions.
func NewData(path string, table *featurestore.Table, meta map[string]string, digest string) (*Data, error) {
	d := &Data{Table: table, Ref: DatasetRef{ID: digest, Path: path, Digest: digest, Rows: table.Rows}}
	m, ok, err := featurestore.DecodeDatasetMeta(path, meta)
	if err != nil || !ok {
		return d, err
	}
	d.Ref.ID, d.Ref.FS = m.ID, true
	d.TimestampColumn, d.Features = m.TimestampColumn, m.Features
	return d, nil
}
