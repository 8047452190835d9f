package featurestore

import (
	"encoding/json"
	"time"
)

// The key-value metadata of the parquet files fs writes: the contract
// between the writer (materialize, predict) and the readers (train,
// predict, profile, reproduce). Each key is named here once.
const (
	MetaDatasetID       = "fs.dataset_id"
	MetaFeatures        = "fs.features" // JSON: [{"name", "version"}] in column order
	MetaSources         = "fs.sources"  // JSON: [{"name", "digest", "files": [sha256...]}]
	MetaEntities        = "fs.entities" // JSON: {"digest", "rows"}
	MetaTimestampColumn = "fs.timestamp_column"
	MetaCutoff          = "fs.cutoff" // RFC 3339, "" for none
	MetaVersion         = "fs.version"
	MetaRunID           = "fs.run_id"       // a prediction file: the run that predicted
	MetaInputDigest     = "fs.input_digest" // a prediction file: the input's sha256
)

// EncodeDatasetMeta is the key-value metadata written into a dataset file.
// It holds no paths and no clock time, so the same inputs give the same
// bytes on any machine.
func EncodeDatasetMeta(ds *Dataset) map[string]string {
	type src struct {
		Name   string   `json:"name"`
		Digest string   `json:"digest"`
		Files  []string `json:"files"` // sha256 of each file, in path order
	}
	var srcs []src
	for _, s := range ds.Sources {
		var files []string
		for _, f := range s.Files {
			files = append(files, f.SHA256)
		}
		srcs = append(srcs, src{Name: s.Name, Digest: s.Digest, Files: files})
	}
	cutoff := ""
	if !ds.Cutoff.IsZero() {
		cutoff = ds.Cutoff.UTC().Format(time.RFC3339Nano)
	}
	features, _ := json.Marshal(ds.Features)
	sources, _ := json.Marshal(srcs)
	entities, _ := json.Marshal(map[string]any{"digest": ds.Entities.Digest, "rows": ds.Entities.Rows})
	return map[string]string{
		MetaDatasetID:       ds.ID.String(),
		MetaFeatures:        string(features),
		MetaSources:         string(sources),
		MetaEntities:        string(entities),
		MetaTimestampColumn: ds.TimestampColumn,
		MetaCutoff:          cutoff,
		MetaVersion:         ds.FSVersion,
	}
}

// DatasetMeta is what a reader learns from a dataset file's metadata.
type DatasetMeta struct {
	ID              string
	Features        []FeatureRef
	TimestampColumn string
}

// DecodeDatasetMeta reads a dataset file's metadata; ok is false for a
// parquet file fs did not write.
func DecodeDatasetMeta(path string, meta map[string]string) (m *DatasetMeta, ok bool, err error) {
	id, ok := meta[MetaDatasetID]
	if !ok {
		return nil, false, nil
	}
	m = &DatasetMeta{ID: id, TimestampColumn: meta[MetaTimestampColumn]}
	if err := json.Unmarshal([]byte(meta[MetaFeatures]), &m.Features); err != nil {
		return nil, true, Errorf(EINVALID, "%s: unreadable %s metadata: %v", path, MetaFeatures, err)
	}
	return m, true, nil
}
