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

// Edges are stored both ways, "e>/<from>\x00<to>" and "e</<to>\x00<from>",
// in the transaction that records the thing they describe.
func setEdge(txn *badgerdb.Txn, from, to lineage.NodeID) error {
	if err := txn.Set([]byte("e>/"+string(from)+"\x00"+string(to)), nil); err != nil {
		return err
	}
	return txn.Set([]byte("e</"+string(to)+"\x00"+string(from)), nil)
}

// Graph is a read-only view of the lineage graph on one snapshot of the
// store. Close it when done.
type Graph struct {
	txn *badgerdb.Txn
	s   *Store
}

var _ lineage.Records = (*Graph)(nil)

// Lineage opens a view of the lineage graph's records; lineage.NewGraph
// describes them.
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

// Inputs implements lineage.Records.
func (g *Graph) Inputs(ctx context.Context, id lineage.NodeID) ([]lineage.NodeID, error) {
	return g.edges("e</", id)
}

// Outputs implements lineage.Records.
func (g *Graph) Outputs(ctx context.Context, id lineage.NodeID) ([]lineage.NodeID, error) {
	return g.edges("e>/", id)
}

// Record implements lineage.Records: the stored record of a node, typed,
// with the profile kept with it.
func (g *Graph) Record(ctx context.Context, id lineage.NodeID) (*lineage.Record, error) {
	r := &lineage.Record{}
	key := id.Key()
	var err error
	switch id.Kind() {
	case lineage.FeatureVersion:
		var v featurestore.FeatureVersion
		if v, err = getCached[featurestore.FeatureVersion](g.s, g.txn, "fv/"+key); err == nil {
			v = g.s.mapVersion(v, g.s.loadedPath)
			r.Feature = &v
		}
	case lineage.Source:
		var v featurestore.SourceVersion
		if v, err = getCached[featurestore.SourceVersion](g.s, g.txn, "srcv/"+key); err == nil {
			r.Source = &v
		}
	case lineage.FeatureSet:
		var v featurestore.FeatureSetVersion
		if v, err = getCached[featurestore.FeatureSetVersion](g.s, g.txn, "sv/"+key); err == nil {
			r.FeatureSet = &v
		}
	case lineage.Dataset:
		var d featurestore.Dataset
		d, err = getCached[featurestore.Dataset](g.s, g.txn, "ds/"+key)
		if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
			err = nil // a parquet file fs did not write
		} else if err == nil {
			d = g.s.mapDataset(d, g.s.loadedPath)
			r.Dataset = &d
		}
	case lineage.Snapshot:
		var snap featurestore.SourceSnapshot
		if snap, err = getCached[featurestore.SourceSnapshot](g.s, g.txn, "snap/"+key); err == nil {
			snap = g.s.mapSnapshot(snap, g.s.loadedPath)
			r.Snapshot = &snap
		}
	case lineage.Run:
		var run trainer.Run
		if run, err = getCached[trainer.Run](g.s, g.txn, "run/"+key); err == nil {
			r.Run = &run
		}
	case lineage.ModelVersion:
		r.Model = &lineage.RegisteredModel{}
		err = getJSON(g.txn, "mv/"+key, r.Model)
	default:
		return nil, featurestore.Errorf(featurestore.ENOTFOUND, "no lineage node %s", id)
	}
	if err != nil {
		return nil, err
	}
	if p, err := getCached[*profile.Profile](g.s, g.txn, "profile/"+string(id)); err == nil {
		r.Profile = p
	}
	return r, nil
}

// RecordProfile stores a profile with the lineage node it describes (a
// source snapshot or a dataset); fs lineage shows it on that node.
func (s *Store) RecordProfile(ctx context.Context, node lineage.NodeID, p *profile.Profile) error {
	return s.update(func(txn *badgerdb.Txn) error { return setJSON(txn, "profile/"+string(node), p) })
}
