package lineage

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/profile"
	"github.com/fs-dev/fs/trainer"
)

// Record is what a store holds for a lineage node, typed: the field of the
// node's kind is set (none for a dataset that is a parquet file fs did not
// write), and Profile when a profile was kept with the node.
type Record struct {
	Source     *featurestore.SourceVersion
	Feature    *featurestore.FeatureVersion
	FeatureSet *featurestore.FeatureSetVersion
	Dataset    *featurestore.Dataset
	Snapshot   *featurestore.SourceSnapshot
	Run        *trainer.Run
	Model      *RegisteredModel
	Profile    *profile.Profile
}

// RegisteredModel is a registered model version, as a lineage node.
type RegisteredModel struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Run         string `json:"run"`
	MLflowRunID string `json:"mlflow_run_id"`
}

// Records is what a Graph reads from a store: each node's record and its
// edges. A store's adapter implements it and describes nothing; NewGraph
// does the describing.
type Records interface {
	Record(ctx context.Context, id NodeID) (*Record, error)
	Inputs(ctx context.Context, id NodeID) ([]NodeID, error)
	Outputs(ctx context.Context, id NodeID) ([]NodeID, error)
}

// NewGraph is the Graph of a store's records, each node described by
// Describe.
func NewGraph(r Records) Graph { return recordGraph{r} }

type recordGraph struct{ Records }

func (g recordGraph) Node(ctx context.Context, id NodeID) (*Node, error) {
	rec, err := g.Record(ctx, id)
	if err != nil {
		return nil, err
	}
	return Describe(id, rec), nil
}

// Describe is what a person needs to recognise a node: a one-line label
// and a few attributes (expression, type, rows, file, cutoff, metrics).
func Describe(id NodeID, r *Record) *Node {
	n := &Node{ID: id, Kind: id.Kind(), Attrs: map[string]string{}}
	short := id.Key()
	if len(short) > featurestore.ShortLen {
		short = short[:featurestore.ShortLen]
	}
	switch {
	case r.Source != nil:
		n.Label = r.Source.Name + "@" + short
		n.Attrs["path"] = r.Source.Location
		n.Attrs["entity"] = r.Source.Entity
	case r.Feature != nil:
		n.Label = r.Feature.Name + "@" + short
		n.Attrs["expr"] = truncate(strings.Join(strings.Fields(r.Feature.Expr), " "), 40)
		n.Attrs["type"] = string(r.Feature.Type)
	case r.FeatureSet != nil:
		n.Label = r.FeatureSet.Name + "@" + short
	case r.Dataset != nil:
		n.Label = short
		n.Attrs["rows"] = fmt.Sprint(r.Dataset.Rows)
		n.Attrs["file"] = filepath.Base(r.Dataset.Output)
		if !r.Dataset.Cutoff.IsZero() {
			n.Attrs["cutoff"] = r.Dataset.Cutoff.UTC().Format("2006-01-02T15:04:05Z")
		}
	case id.Kind() == Dataset:
		n.Label = short + " (a parquet file fs did not write)"
	case r.Snapshot != nil:
		n.Label = r.Snapshot.Name + "@" + short
		n.Attrs["files"] = fmt.Sprint(len(r.Snapshot.Files))
		n.Attrs["rows"] = fmt.Sprint(r.Snapshot.Rows)
		n.Attrs["path"] = r.Snapshot.Path
	case r.Run != nil:
		describeRun(n, short, r.Run)
	case r.Model != nil:
		n.Label = r.Model.Name + " version " + r.Model.Version
	}
	if p := r.Profile; p != nil {
		n.Attrs["profile"] = fmt.Sprintf("%d warnings", len(p.Warnings))
		if len(p.Warnings) > 0 {
			n.Attrs["profile"] += ", first: " + p.Warnings[0].Message
		}
	}
	return n
}

func describeRun(n *Node, short string, r *trainer.Run) {
	n.Label = short
	if len(r.Children) > 0 {
		n.Label += fmt.Sprintf(" (sweep of %d)", len(r.Children))
		n.Attrs[AttrSweepOf] = fmt.Sprint(len(r.Children))
	}
	n.Attrs["target"] = r.Target
	if r.TestClass != nil {
		n.Attrs["test_log_loss"] = fmt.Sprintf("%.4g", r.TestClass.LogLoss)
		n.Attrs["test_accuracy"] = fmt.Sprintf("%.4g", r.TestClass.Accuracy)
	} else {
		n.Attrs["test_rmse"] = fmt.Sprintf("%.4g", r.Test.RMSE)
	}
	if r.MLflow.RunID != "" {
		n.Attrs["mlflow"] = r.MLflow.RunID
	}
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
