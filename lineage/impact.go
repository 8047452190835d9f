package lineage

import "context"

// Impact is everything a change to some nodes (a feature's versions, a
// source's) would affect downstream, by kind.
type Impact struct {
	Roots    []*Node `json:"roots"`
	Models   []*Node `json:"registered_models"`
	Runs     []*Node `json:"runs"`
	Sweeps   []*Node `json:"sweeps"` // the sweeps the runs belong to, not counted as runs
	Datasets []*Node `json:"datasets"`
	Features []*Node `json:"dependent_features"`
	Sets     []*Node `json:"feature_sets"`
}

// ImpactOf answers "if I change these, what is affected?": every
// registered model version, run, sweep, dataset, dependent feature and
// feature set downstream of the roots.
func ImpactOf(ctx context.Context, g Graph, roots []NodeID) (*Impact, error) {
	reach, err := Reach(ctx, g, roots, Downstream)
	if err != nil {
		return nil, err
	}
	nodes := func(ids []NodeID) ([]*Node, error) {
		out := []*Node{}
		for _, id := range ids {
			n, err := g.Node(ctx, id)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	rep := &Impact{}
	if rep.Roots, err = nodes(roots); err != nil {
		return nil, err
	}
	for _, part := range []struct {
		dst  *[]*Node
		kind Kind
	}{{&rep.Models, ModelVersion}, {&rep.Runs, Run}, {&rep.Datasets, Dataset}, {&rep.Features, FeatureVersion}, {&rep.Sets, FeatureSet}} {
		if *part.dst, err = nodes(reach[part.kind]); err != nil {
			return nil, err
		}
	}
	rep.Runs, rep.Sweeps = splitSweeps(rep.Runs)
	return rep, nil
}

// splitSweeps separates the sweeps (runs marked AttrSweepOf) from the runs.
func splitSweeps(nodes []*Node) (runs, sweeps []*Node) {
	runs, sweeps = []*Node{}, []*Node{}
	for _, n := range nodes {
		if n.Attrs[AttrSweepOf] != "" {
			sweeps = append(sweeps, n)
		} else {
			runs = append(runs, n)
		}
	}
	return runs, sweeps
}
