// Package lineage owns the graph from source versions and snapshots to
// feature versions, feature sets, datasets, runs and registered model
// versions, and the questions users ask of it: what went into a thing
// (Upstream), what came out of it (Downstream), what a change would affect
// (ImpactOf).
//
// Nodes are named "<kind>:<id>" (see NodeID) and described for people by
// a label and a few attributes (Node). The package knows graphs, not the
// records behind them: a Graph serves nodes and edges, and the application
// builds one over its store (app describes each node from its record). A
// store writes each edge in the same transaction as the record it
// describes, so a dataset is never recorded without its inputs. Renderers
// draw a walk as an indented tree, Graphviz dot, Mermaid or JSON.
package lineage
