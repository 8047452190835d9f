package lineage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Kind is the kind of a node.
type Kind string

// The kinds of nodes.
const (
	Source         Kind = "source"      // a source version: where a source's data lives, how it is keyed
	Snapshot       Kind = "snapshot"    // a source's files at the time of use
	FeatureVersion Kind = "feature"     // a feature version
	FeatureSet     Kind = "feature_set" // a feature set version
	Dataset        Kind = "dataset"     // a materialized training set
	Run            Kind = "run"         // a training run
	ModelVersion   Kind = "model"       // a registered model version
)

// AttrSweepOf, on a run node, marks a sweep: the number of its runs
// ("runs 6" among the node's attributes).
const AttrSweepOf = "runs"

// NodeID names a node: "<kind>:<id>".
type NodeID string

// ID returns the node id of kind k and id.
func ID(k Kind, id string) NodeID { return NodeID(string(k) + ":" + id) }

// Kind returns the node's kind.
func (n NodeID) Kind() Kind {
	k, _, _ := strings.Cut(string(n), ":")
	return Kind(k)
}

// Key returns the id part.
func (n NodeID) Key() string {
	_, id, _ := strings.Cut(string(n), ":")
	return id
}

// Node is a node with what a person needs to recognise it.
type Node struct {
	ID    NodeID            `json:"id"`
	Kind  Kind              `json:"kind"`
	Label string            `json:"label"` // one line, e.g. "conv_rate@e8acb2bb2fa1"
	Attrs map[string]string `json:"attrs,omitempty"`
}

// AttrPairs is the node's attributes as "key<sep>value", by key.
func (n *Node) AttrPairs(sep string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(n.Attrs)) {
		out = append(out, k+sep+n.Attrs[k])
	}
	return out
}

// Graph serves nodes and edges. Inputs are a node's upstream neighbours,
// Outputs its downstream ones, both sorted.
type Graph interface {
	Node(ctx context.Context, id NodeID) (*Node, error)
	Inputs(ctx context.Context, id NodeID) ([]NodeID, error)
	Outputs(ctx context.Context, id NodeID) ([]NodeID, error)
}

// Direction says which way a walk goes.
type Direction string

// The directions of a walk.
const (
	Upstream   Direction = "upstream"   // towards what went in
	Downstream Direction = "downstream" // towards what came out
)

// ParseDirection reads "upstream" (or "", the default) or "downstream".
func ParseDirection(s string) (Direction, error) {
	switch Direction(s) {
	case "", Upstream:
		return Upstream, nil
	case Downstream:
		return Downstream, nil
	}
	return "", fmt.Errorf("direction %q: give upstream or downstream", s)
}

// Tree is a walk from one node: its neighbours in the walk's direction,
// each walked in turn. A node met again is listed with Repeat set and not
// expanded.
type Tree struct {
	Node     *Node   `json:"node"`
	Children []*Tree `json:"children,omitempty"`
	Repeat   bool    `json:"repeat,omitempty"`
	// Truncated is set when the depth limit stopped the walk here and the
	// node has neighbours.
	Truncated bool `json:"truncated,omitempty"`
}

// Walk walks from each root in direction d, at most depth edges deep.
func Walk(ctx context.Context, g Graph, roots []NodeID, d Direction, depth int) ([]*Tree, error) {
	seen := map[NodeID]bool{}
	var walk func(id NodeID, left int) (*Tree, error)
	walk = func(id NodeID, left int) (*Tree, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := g.Node(ctx, id)
		if err != nil {
			return nil, err
		}
		t := &Tree{Node: n}
		if seen[id] {
			t.Repeat = true
			return t, nil
		}
		seen[id] = true
		next, err := neighbours(ctx, g, id, d)
		if err != nil {
			return nil, err
		}
		if left == 0 {
			t.Truncated = len(next) > 0
			return t, nil
		}
		for _, c := range next {
			ct, err := walk(c, left-1)
			if err != nil {
				return nil, err
			}
			t.Children = append(t.Children, ct)
		}
		return t, nil
	}
	var out []*Tree
	for _, r := range roots {
		t, err := walk(r, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func neighbours(ctx context.Context, g Graph, id NodeID, d Direction) ([]NodeID, error) {
	if d == Upstream {
		return g.Inputs(ctx, id)
	}
	return g.Outputs(ctx, id)
}

// Reach returns every node reachable from the roots in direction d (roots
// excluded), by kind, each list sorted, without reading the nodes.
func Reach(ctx context.Context, g Graph, roots []NodeID, d Direction) (map[Kind][]NodeID, error) {
	seen := map[NodeID]bool{}
	queue := append([]NodeID(nil), roots...)
	for _, r := range roots {
		seen[r] = true
	}
	out := map[Kind][]NodeID{}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id := queue[0]
		queue = queue[1:]
		next, err := neighbours(ctx, g, id, d)
		if err != nil {
			return nil, err
		}
		for _, n := range next {
			if !seen[n] {
				seen[n] = true
				out[n.Kind()] = append(out[n.Kind()], n)
				queue = append(queue, n)
			}
		}
	}
	for k := range out {
		sort.Slice(out[k], func(i, j int) bool { return out[k][i] < out[k][j] })
	}
	return out, nil
}
