// Package lineage will own the graph from source snapshots to feature
// versions, datasets, runs and registered models: its nodes and edges, and
// walks upstream and downstream with a depth limit. Its storage will be an
// adapter, like the registry's.
//
// Today the registry already records what the graph needs for features:
// each feature version lists the source columns and the feature versions it
// reads (featurestore.FeatureVersion.Columns and DependsOn), and
// transforms.Expr.Names gives the names an expression reads.
package lineage
