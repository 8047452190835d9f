package badger

import (
	"context"
	"fmt"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
)

var _ featurestore.DatasetStore = (*Store)(nil)

// RecordDataset writes the dataset and its input edges (feature version ->
// dataset) in one transaction.
func (s *Store) RecordDataset(ctx context.Context, d *featurestore.Dataset) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	hex := d.ID.String()
	return s.update(func(txn *badgerdb.Txn) error {
		var prev featurestore.Dataset
		err := getJSON(txn, "ds/"+hex, &prev)
		switch {
		case err == nil:
			d.Created = prev.Created // the same dataset, built again
		case featurestore.ErrorCode(err) != featurestore.ENOTFOUND:
			return err
		}
		if err := setJSON(txn, "ds/"+hex, s.mapDataset(*d, s.storedPath)); err != nil {
			return err
		}
		node := lineage.ID(lineage.Dataset, hex)
		for _, f := range d.Features {
			if err := setEdge(txn, lineage.ID(lineage.FeatureVersion, f.Version.String()), node); err != nil {
				return err
			}
		}
		for _, snap := range d.Sources {
			have, err := exists(txn, "snap/"+snap.Digest)
			if err != nil {
				return err
			}
			if !have {
				if err := setJSON(txn, "snap/"+snap.Digest, s.mapSnapshot(snap, s.storedPath)); err != nil {
					return err
				}
			}
			snapNode := lineage.ID(lineage.Snapshot, snap.Digest)
			if err := setEdge(txn, snapNode, node); err != nil {
				return err
			}
			if sv := snap.SourceVersion; !sv.IsZero() {
				if err := setEdge(txn, lineage.ID(lineage.Source, sv.String()), snapNode); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Dataset implements featurestore.DatasetStore.
func (s *Store) Dataset(ctx context.Context, id featurestore.ID) (*featurestore.Dataset, error) {
	var d featurestore.Dataset
	err := s.view(func(txn *badgerdb.Txn) error { return getJSON(txn, "ds/"+id.String(), &d) })
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, notFound("dataset", id.Short(), "the dataset id is printed by fs materialize")
	}
	if err != nil {
		return nil, fmt.Errorf("read dataset %s: %w", id.Short(), err)
	}
	d = s.mapDataset(d, s.loadedPath)
	return &d, nil
}

// ResolveDataset implements featurestore.DatasetStore.
func (s *Store) ResolveDataset(ctx context.Context, prefix string) (featurestore.ID, error) {
	return s.resolve("ds/", "dataset", prefix)
}

// Datasets implements featurestore.DatasetStore.
func (s *Store) Datasets(ctx context.Context) ([]featurestore.Dataset, error) {
	out, err := list[featurestore.Dataset](s, "ds/", false)
	for i := range out {
		out[i] = s.mapDataset(out[i], s.loadedPath)
	}
	return out, err
}
