// Package openlineage writes fs's jobs as OpenLineage run events
// (https://openlineage.io): a START and a COMPLETE event for every
// materialization (the source snapshots in, the dataset out, with their
// schemas and versions) and every training run (the dataset in, the model
// out, a sweep's runs under their parent). It is an adapter: it turns fs's
// records into the format other lineage tools read, and nothing else.
package openlineage
