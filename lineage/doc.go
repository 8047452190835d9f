// Package lineage owns the graph from source snapshots to feature
// versions, feature sets, datasets, runs and registered model versions, and
// the questions users ask of it: what went into a thing (Upstream), what
// came out of it (Downstream), what a change would affect (Impact).
//
// Nodes are named "<kind>:<id>" (see NodeID). A store's adapter serves
// each node's typed Record and its edges (Records) and describes nothing;
// NewGraph turns that into a Graph whose nodes Describe labels for people.
// The adapter writes each edge in the same transaction as the record it
// describes, so a dataset is never recorded without its inputs. Renderers draw a walk as an indented tree, Graphviz
// dot, Mermaid or JSON.
package lineage
