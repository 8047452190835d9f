package badger

import (
	"context"
	"strings"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/profile"
	"github.com/fs-dev/fs/trainer"
)

// setEdge stores an edge both ways, "e>/<from>\x00<to>" and "e</<to>\x00<from>",
// in the transaction that records the thing they describe.
func setEdge(txn *badgerdb.Txn, from, to lineage.NodeID) error {
	if err := txn.Set([]byte("e>/"+string(from)+"\x00"+string(to)), nil); err != nil {
		return err
	}
	return txn.Set([]byte("e</"+string(to)+"\x00"+string(from)), nil)
}

// Graph is a read-only view of the lineage graph on one snapshot of the
// store: edges, each node's typed record and the profile kept with it.
// Close it when done.
type Graph struct {
	txn *badgerdb.Txn
	s   *Store
}

// Lineage opens a view of the lineage graph.
func (s *Store) Lineage() *Graph { return &Graph{txn: s.db.NewTransaction(false), s: s} }

// Close releases the view.
func (g *Graph) Close() { g.txn.Discard() }

// edges lists a node's neighbours one way, leaving out the runs of a
// partial sweep (which no reader sees).
func (g *Graph) edges(prefix string, id lineage.NodeID) ([]lineage.NodeID, error) {
	var out []lineage.NodeID
	p := prefix + string(id) + "\x00"
	err := scan(g.txn, p, false, true, func(key, _ []byte) error {
		n := lineage.NodeID(strings.TrimPrefix(string(key), p))
		if n.Kind() == lineage.Run {
			r, err := getCached[trainer.Run](g.s, g.txn, "run/"+n.Key())
			if err != nil {
				return err
			}
			if ok, err := visible(g.txn, &r); err != nil || !ok {
				return err
			}
		}
		out = append(out, n)
		return nil
	})
	return out, err
}

// Inputs are a node's upstream neighbours, sorted.
func (g *Graph) Inputs(ctx context.Context, id lineage.NodeID) ([]lineage.NodeID, error) {
	return g.edges("e</", id)
}

// Outputs are a node's downstream neighbours, sorted.
func (g *Graph) Outputs(ctx context.Context, id lineage.NodeID) ([]lineage.NodeID, error) {
	return g.edges("e>/", id)
}

// Record is the stored record of a node, typed: a
// *featurestore.SourceVersion, *featurestore.FeatureVersion,
// *featurestore.FeatureSetVersion, *featurestore.Dataset (nil for a
// dataset that is a parquet file fs did not write),
// *featurestore.SourceSnapshot, *trainer.Run or *trainer.RegisteredModel.
// ENOTFOUND for a node not recorded.
func (g *Graph) Record(ctx context.Context, id lineage.NodeID) (any, error) {
	key := id.Key()
	switch id.Kind() {
	case lineage.Source:
		return cachedCopy[featurestore.SourceVersion](g, "srcv/"+key, nil)
	case lineage.FeatureVersion:
		return cachedCopy(g, "fv/"+key, func(v featurestore.FeatureVersion) featurestore.FeatureVersion {
			return g.s.mapVersion(v, g.s.loadedPath)
		})
	case lineage.FeatureSet:
		return cachedCopy[featurestore.FeatureSetVersion](g, "sv/"+key, nil)
	case lineage.Dataset:
		d, err := cachedCopy(g, "ds/"+key, func(d featurestore.Dataset) featurestore.Dataset { return g.s.mapDataset(d, g.s.loadedPath) })
		if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
			return nil, nil // a parquet file fs did not write
		}
		return d, err
	case lineage.Snapshot:
		return cachedCopy(g, "snap/"+key, func(s featurestore.SourceSnapshot) featurestore.SourceSnapshot {
			return g.s.mapSnapshot(s, g.s.loadedPath)
		})
	case lineage.Run:
		return cachedCopy[trainer.Run](g, "run/"+key, nil)
	case lineage.ModelVersion:
		m := &trainer.RegisteredModel{}
		return m, getJSON(g.txn, "mv/"+key, m)
	}
	return nil, featurestore.Errorf(featurestore.ENOTFOUND, "no lineage node %s", id)
}

// cachedCopy reads a record through the decode cache and returns a copy,
// mapped by fn when it is set.
func cachedCopy[T any](g *Graph, key string, fn func(T) T) (*T, error) {
	v, err := getCached[T](g.s, g.txn, key)
	if err != nil {
		return nil, err
	}
	if fn != nil {
		v = fn(v)
	}
	return &v, nil
}

// Profile is the profile kept with a node, or nil.
func (g *Graph) Profile(ctx context.Context, id lineage.NodeID) (*profile.Profile, error) {
	p, err := getCached[*profile.Profile](g.s, g.txn, "profile/"+string(id))
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, nil
	}
	return p, err
}

// RecordProfile stores a profile with the lineage node it describes (a
// source snapshot or a dataset); fs lineage shows it on that node.
func (s *Store) RecordProfile(ctx context.Context, node lineage.NodeID, p *profile.Profile) error {
	return s.update(func(txn *badgerdb.Txn) error { return setJSON(txn, "profile/"+string(node), p) })
}
