// Package materialize builds point-in-time correct training sets: for each
// row of an entity file (join keys, an event timestamp, labels) and each
// requested feature version, it takes the latest source row with the same
// keys whose timestamp is at or before the event (and within the feature's
// TTL), ignoring rows created after the cutoff, and computes the feature on
// it.
//
// # Rules
//
//   - Candidates: same join keys, timestamp <= event time, and timestamp >=
//     event time - TTL when the feature has a TTL. Rows created after the
//     cutoff (--as-of) are ignored; rows with a null key or timestamp too.
//   - Among candidates the latest timestamp wins; ties go to the latest
//     created timestamp (a null created time counts as earliest), then to
//     the row that comes last in the source (files in path order, rows in
//     file order): the last write wins.
//   - No candidate: the feature is null. A candidate whose column is null
//     gives null (the null rule of package transforms), it does not fall
//     back to an older row.
//   - A feature computed from other features of its source computes them on
//     the same source row; the TTL that applies is the requested feature's.
//   - The output has exactly the entity file's rows, in its order,
//     duplicates kept.
//
// The pick (asof.go) starts from the entity rows: grouped by key hash
// into buckets small enough for the processor's cache, by key within a
// bucket, and sorted by time; each source row is offered, in source order,
// to the first entity row of its key at or after its timestamp, and a
// running maximum along each key's entity rows gives the answers. The
// source is never sorted.
//
// A Request is what the user asks (features, entity rows, cutoff, output);
// Resolve turns it into a Job against the registry, and the job runs
// with Options: how (the engine, the memory budget, the checks on its
// files, what it tells its user through one Notify). A Picker picks the
// as-of rows of one source; an Engine (Spark) picks them elsewhere and
// reads sources at URIs. Without one, a job picks here: InMemory, by
// join keys and timestamps read whole (memory.go; the created times only
// when they can decide more than a tie on time), the other columns then
// read for the rows picked only, decoding only the pages that hold one;
// or, for a source whose keys and timestamps would not fit in the memory
// budget (Options.MemoryLimit), Spilled (spill.go): split by key hash
// into partition files, each read back once and picked from for the
// entity rows of its keys. Every picker runs the conformance suite of
// materialize/pickertest, which compares it with a brute-force pick.
//
// The dataset record counts each feature's nulls and why (no row, outside
// the TTL, a null value). The output file is written whole (atomicfile) and
// recorded only once it is on disk; an output that is an input, a
// directory or in the store is refused first.
package materialize
