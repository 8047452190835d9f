package badger

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
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

// modelRecord is a registered model version, as a lineage node.
type modelRecord struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Run         string `json:"run"`
	MLflowRunID string `json:"mlflow_run_id"`
}

// Graph is a read-only view of the lineage graph on one snapshot of the
// store. Close it when done.
type Graph struct {
	txn *badgerdb.Txn
}

var _ lineage.Graph = (*Graph)(nil)

// Lineage opens a view of the lineage graph.
func (s *Store) Lineage() *Graph { return &Graph{txn: s.db.NewTransaction(false)} }

// Close releases the view.
func (g *Graph) Close() { g.txn.Discard() }

func (g *Graph) edges(prefix string, id lineage.NodeID) ([]lineage.NodeID, error) {
	var out []lineage.NodeID
	p := prefix + string(id) + "\x00"
	err := scan(g.txn, p, false, true, func(key, _ []byte) error {
		out = append(out, lineage.NodeID(strings.TrimPrefix(string(key), p)))
		return nil
	})
	return out, err
}

// Inputs implements lineage.Graph.
func (g *Graph) Inputs(ctx context.Context, id lineage.NodeID) ([]lineage.NodeID, error) {
	return g.edges("e</", id)
}

// Outputs implements lineage.Graph.
func (g *Graph) Outputs(ctx context.Context, id lineage.NodeID) ([]lineage.NodeID, error) {
	return g.edges("e>/", id)
}

// Node implements lineage.Graph.
func (g *Graph) Node(ctx context.Context, id lineage.NodeID) (*lineage.Node, error) {
	n := &lineage.Node{ID: id, Kind: id.Kind(), Attrs: map[string]string{}}
	key := id.Key()
	short := key
	if len(short) > featurestore.ShortLen {
		short = short[:featurestore.ShortLen]
	}
	switch id.Kind() {
	case lineage.FeatureVersion:
		var v featurestore.FeatureVersion
		if err := getJSON(g.txn, "fv/"+key, &v); err != nil {
			return nil, err
		}
		n.Label = v.Name + "@" + short
		n.Attrs["expr"] = truncate(strings.Join(strings.Fields(v.Expr), " "), 40)
		n.Attrs["type"] = string(v.Type)
	case lineage.FeatureSet:
		var v featurestore.FeatureSetVersion
		if err := getJSON(g.txn, "sv/"+key, &v); err != nil {
			return nil, err
		}
		n.Label = v.Name + "@" + short
	case lineage.Dataset:
		var d featurestore.Dataset
		err := getJSON(g.txn, "ds/"+key, &d)
		if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
			n.Label = short + " (a parquet file fs did not write)"
			return n, nil
		}
		if err != nil {
			return nil, err
		}
		n.Label = short
		n.Attrs["rows"] = fmt.Sprint(d.Rows)
		n.Attrs["file"] = filepath.Base(d.Output)
		if !d.Cutoff.IsZero() {
			n.Attrs["cutoff"] = d.Cutoff.UTC().Format("2006-01-02T15:04:05Z")
		}
	case lineage.Snapshot:
		var s featurestore.SourceSnapshot
		if err := getJSON(g.txn, "snap/"+key, &s); err != nil {
			return nil, err
		}
		n.Label = s.Name + "@" + short
		n.Attrs["files"] = fmt.Sprint(len(s.Files))
		n.Attrs["rows"] = fmt.Sprint(s.Rows)
		n.Attrs["path"] = s.Path
	case lineage.Run:
		var r trainer.Run
		if err := getJSON(g.txn, "run/"+key, &r); err != nil {
			return nil, err
		}
		n.Label = short
		if len(r.Children) > 0 {
			n.Label += fmt.Sprintf(" (sweep of %d)", len(r.Children))
			n.Attrs[lineage.AttrSweepOf] = fmt.Sprint(len(r.Children))
		}
		n.Attrs["target"] = r.Target
		n.Attrs["test_rmse"] = fmt.Sprintf("%.4g", r.Test.RMSE)
		if r.MLflow.RunID != "" {
			n.Attrs["mlflow"] = r.MLflow.RunID
		}
	case lineage.ModelVersion:
		var m modelRecord
		if err := getJSON(g.txn, "mv/"+key, &m); err != nil {
			return nil, err
		}
		n.Label = m.Name + " version " + m.Version
	default:
		return nil, featurestore.Errorf(featurestore.ENOTFOUND, "no lineage node %s", id)
	}
	var prof struct {
		Rows     int `json:"rows"`
		Warnings []struct {
			Message string `json:"message"`
		} `json:"warnings"`
	}
	if err := getJSON(g.txn, "profile/"+string(id), &prof); err == nil {
		n.Attrs["profile"] = fmt.Sprintf("%d warnings", len(prof.Warnings))
		if len(prof.Warnings) > 0 {
			n.Attrs["profile"] += ", first: " + prof.Warnings[0].Message
		}
	}
	return n, nil
}

// RecordProfile stores a profile with the lineage node it describes (a
// source snapshot or a dataset); fs lineage shows it on that node.
func (s *Store) RecordProfile(ctx context.Context, node lineage.NodeID, profile any) error {
	return s.update(func(txn *badgerdb.Txn) error { return setJSON(txn, "profile/"+string(node), profile) })
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
