package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/profile"
	"github.com/fs-dev/fs/trainer"
)

// LineageView is one consistent view of the lineage graph a store keeps:
// each node's edges, its record (a *featurestore.SourceVersion,
// *featurestore.FeatureVersion, *featurestore.FeatureSetVersion,
// *featurestore.Dataset, *featurestore.SourceSnapshot, *trainer.Run or
// *trainer.RegisteredModel; nil for a dataset that is a parquet file fs did
// not write) and the profile kept with it, if any (nil). Close it when done.
type LineageView interface {
	Inputs(ctx context.Context, id lineage.NodeID) ([]lineage.NodeID, error)
	Outputs(ctx context.Context, id lineage.NodeID) ([]lineage.NodeID, error)
	Record(ctx context.Context, id lineage.NodeID) (any, error)
	Profile(ctx context.Context, id lineage.NodeID) (*profile.Profile, error)
	Close()
}

// graph is a store's lineage view as a lineage.Graph: each node described
// for people from its record.
type graph struct{ LineageView }

func (g graph) Node(ctx context.Context, id lineage.NodeID) (*lineage.Node, error) {
	rec, err := g.Record(ctx, id)
	if err != nil {
		return nil, err
	}
	prof, err := g.Profile(ctx, id)
	if err != nil {
		return nil, err
	}
	return describe(id, rec, prof), nil
}

// describe is what a person needs to recognise a node: a one-line label
// and a few attributes (expression, type, rows, file, cutoff, metrics).
func describe(id lineage.NodeID, rec any, prof *profile.Profile) *lineage.Node {
	n := &lineage.Node{ID: id, Kind: id.Kind(), Attrs: map[string]string{}}
	short := id.Key()
	if len(short) > featurestore.ShortLen {
		short = short[:featurestore.ShortLen]
	}
	switch r := rec.(type) {
	case *featurestore.SourceVersion:
		n.Label = r.Name + "@" + short
		n.Attrs["path"], n.Attrs["entity"] = r.Location, r.Entity
	case *featurestore.FeatureVersion:
		n.Label = r.Name + "@" + short
		n.Attrs["expr"] = truncate(r.Aggregation.Describe(r.Expr), 48)
		n.Attrs["type"] = string(r.Type)
	case *featurestore.FeatureSetVersion:
		n.Label = r.Name + "@" + short
	case *featurestore.Dataset:
		n.Label = short
		n.Attrs["rows"] = fmt.Sprint(r.Rows)
		n.Attrs["file"] = filepath.Base(r.Output)
		if !r.Cutoff.IsZero() {
			n.Attrs["cutoff"] = r.Cutoff.UTC().Format("2006-01-02T15:04:05Z")
		}
	case *featurestore.SourceSnapshot:
		n.Label = r.Name + "@" + short
		n.Attrs["files"] = fmt.Sprint(len(r.Files))
		n.Attrs["rows"] = fmt.Sprint(r.Rows)
		n.Attrs["path"] = r.Path
	case *trainer.Run:
		describeRun(n, short, r)
	case *trainer.RegisteredModel:
		n.Label = r.Name + " version " + r.Version
	case nil:
		if id.Kind() == lineage.Dataset {
			n.Label = short + " (a parquet file fs did not write)"
		}
	}
	if prof != nil {
		n.Attrs["profile"] = fmt.Sprintf("%d warnings", len(prof.Warnings))
		if len(prof.Warnings) > 0 {
			n.Attrs["profile"] += ", first: " + prof.Warnings[0].Message
		}
	}
	return n
}

func describeRun(n *lineage.Node, short string, r *trainer.Run) {
	n.Label = short
	if len(r.Children) > 0 {
		n.Label += fmt.Sprintf(" (sweep of %d)", len(r.Children))
		n.Attrs[lineage.AttrSweepOf] = fmt.Sprint(len(r.Children))
	}
	n.Attrs["target"] = r.Target
	if r.Test != nil {
		if m := r.Test.Metrics(); len(m) > 0 { // the estimator's first: rmse, log_loss
			n.Attrs["test_"+m[0].Name] = fmt.Sprintf("%.4g", m[0].Num)
		}
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
