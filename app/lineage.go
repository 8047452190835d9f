package app

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/openlineage"
	"github.com/fs-dev/fs/profile"
)

// LineageRequest asks for a walk of the lineage graph.
type LineageRequest struct {
	ID        string            `json:"id"`        // a run or dataset id (prefix), NAME@VERSION, a feature, feature set or source name
	Direction lineage.Direction `json:"direction"` // upstream (default) or downstream
	Depth     int               `json:"depth"`     // the most edges to walk
}

// Lineage walks the graph from what req.ID names. Errors: ENOTFOUND,
// EINVALID (an ambiguous prefix, a bad direction).
func (s *Service) Lineage(ctx context.Context, req LineageRequest) (trees []*lineage.Tree, err error) {
	if err := required(need{"id", req.ID, whatNode}); err != nil {
		return nil, err
	}
	dir, err := lineage.ParseDirection(string(req.Direction))
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%v", err)
	}
	err = s.read(ctx, func(st Store) error {
		roots, err := resolveNodes(ctx, st, req.ID)
		if err != nil {
			return err
		}
		view := st.Lineage()
		defer view.Close()
		trees, err = lineage.Walk(ctx, graph{view}, roots, dir, req.Depth)
		return err
	})
	return trees, err
}

// Impact answers "if I change this feature (or source), what is
// affected?": every registered model version, run, dataset, dependent
// feature and feature set built from it. Errors: ENOTFOUND, EINVALID.
func (s *Service) Impact(ctx context.Context, arg string) (rep *lineage.Impact, err error) {
	if err := required(need{"id", arg, whatNode}); err != nil {
		return nil, err
	}
	err = s.read(ctx, func(st Store) error {
		roots, err := resolveNodes(ctx, st, arg)
		if err != nil {
			return err
		}
		view := st.Lineage()
		defer view.Close()
		rep, err = lineage.ImpactOf(ctx, graph{view}, roots)
		return err
	})
	return rep, err
}

// nodeKinds are the kinds a full node id ("snapshot:DIGEST") may name.
var nodeKinds = []lineage.Kind{lineage.Source, lineage.Snapshot, lineage.FeatureVersion, lineage.FeatureSet, lineage.Dataset, lineage.Run, lineage.ModelVersion}

// resolveNodes turns a user's argument into lineage roots: a full node id
// (KIND:ID, as the web UI links them), NAME@VERSION, a feature, feature set
// or source name (source:NAME when a feature has the same name), or a run,
// dataset or feature version id prefix.
func resolveNodes(ctx context.Context, store Store, arg string) ([]lineage.NodeID, error) {
	if id := lineage.NodeID(arg); id.Kind() == lineage.Source && !featurestore.IsIDPrefix(id.Key()) {
		return sourceNodes(ctx, store, id.Key())
	}
	if id := lineage.NodeID(arg); strings.Contains(arg, ":") && slices.Contains(nodeKinds, id.Kind()) {
		view := store.Lineage()
		defer view.Close()
		if _, err := view.Record(ctx, id); err != nil {
			return nil, err
		}
		return []lineage.NodeID{id}, nil
	}
	if name, prefix, ok := strings.Cut(arg, "@"); ok {
		return resolvePinned(ctx, store, name, prefix)
	}
	if hist, err := store.FeatureHistory(ctx, arg); err == nil {
		return historyNodes(hist, lineage.FeatureVersion), nil
	}
	if hist, err := store.FeatureSetHistory(ctx, arg); err == nil {
		return historyNodes(hist, lineage.FeatureSet), nil
	}
	if nodes, err := sourceNodes(ctx, store, arg); featurestore.ErrorCode(err) != featurestore.ENOTFOUND {
		return nodes, err
	}
	if !featurestore.IsIDPrefix(arg) {
		return nil, featurestore.Errorf(featurestore.ENOTFOUND, "no feature, feature set, source, dataset or run %q", arg).
			WithHint("fs features list, fs datasets list and fs runs list show what there is")
	}
	var found []lineage.NodeID
	if id, err := store.ResolveRun(ctx, arg); err == nil {
		found = append(found, lineage.ID(lineage.Run, id.String()))
	}
	if id, err := store.ResolveDataset(ctx, arg); err == nil {
		found = append(found, lineage.ID(lineage.Dataset, id.String()))
	}
	if id, err := store.ResolveFeatureVersion(ctx, arg); err == nil {
		found = append(found, lineage.ID(lineage.FeatureVersion, id.String()))
	}
	switch len(found) {
	case 0:
		return nil, featurestore.Errorf(featurestore.ENOTFOUND, "no run, dataset or feature version %s", arg).
			WithHint("fs runs list and fs datasets list show the ids; give more characters if several share a prefix")
	case 1:
		return found, nil
	}
	return nil, featurestore.Errorf(featurestore.EINVALID, "%s is the start of several ids: %v", arg, found).
		WithHint("give more characters")
}

// resolvePinned resolves NAME@VERSION: a feature version, else a feature
// set version.
func resolvePinned(ctx context.Context, store Store, name, prefix string) ([]lineage.NodeID, error) {
	ref, err := featurestore.ResolveRef(ctx, store, name, prefix)
	if err == nil {
		return []lineage.NodeID{lineage.ID(lineage.FeatureVersion, ref.Version.String())}, nil
	}
	if hist, serr := store.FeatureSetHistory(ctx, name); serr == nil {
		for _, h := range hist {
			if strings.HasPrefix(h.Version.String(), strings.ToLower(prefix)) {
				return []lineage.NodeID{lineage.ID(lineage.FeatureSet, h.Version.String())}, nil
			}
		}
	}
	return nil, err
}

// sourceNodes is every version a source name has had. A source
// registered only before sources had versions has none: ENOTFOUND, with
// the way to give it one.
func sourceNodes(ctx context.Context, store Store, name string) ([]lineage.NodeID, error) {
	hist, err := store.SourceHistory(ctx, name)
	if err == nil {
		return historyNodes(hist, lineage.Source), nil
	}
	srcs, serr := store.Sources(ctx)
	if serr != nil {
		return nil, serr
	}
	for _, s := range srcs {
		if s.Name == name {
			return nil, featurestore.Errorf(featurestore.ENOTFOUND, "source %s has no versions: it was registered before fs versioned sources", name).
				WithHint("register its definition file again (fs register FILE) to version it")
		}
	}
	return nil, err
}

func historyNodes(hist []featurestore.HistoryEntry, k lineage.Kind) []lineage.NodeID {
	seen := map[featurestore.ID]bool{}
	var out []lineage.NodeID
	for _, h := range hist {
		if !seen[h.Version] {
			seen[h.Version] = true
			out = append(out, lineage.ID(k, h.Version.String()))
		}
	}
	return out
}

// OpenLineage writes one OpenLineage RunEvent per line for every
// materialize and train job.
func (s *Service) OpenLineage(ctx context.Context, w io.Writer) error {
	return s.read(ctx, func(st Store) error {
		datasets, err := st.Datasets(ctx)
		if err != nil {
			return err
		}
		runs, err := st.Runs(ctx)
		if err != nil {
			return err
		}
		return openlineage.Write(w, datasets, runs)
	})
}

// NodeProfile is the profile kept with a lineage node (KIND:ID), if any:
// nil when none was recorded. Errors: ENOTFOUND (no such node).
func (s *Service) NodeProfile(ctx context.Context, id string) (p *profile.Profile, err error) {
	err = s.read(ctx, func(st Store) error {
		view := st.Lineage()
		defer view.Close()
		if _, err := view.Record(ctx, lineage.NodeID(id)); err != nil {
			return err
		}
		p, err = view.Profile(ctx, lineage.NodeID(id))
		return err
	})
	return p, err
}
