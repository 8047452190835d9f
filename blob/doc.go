// Package blob reads and writes objects in buckets (s3://bucket/key) by
// one interface, so that the parquet reader, the digests, the outputs and
// the server's data roots treat a bucket's objects as they treat files.
//
// A Store serves one URI scheme; adapters (blob/s3) register theirs with
// Register, and For finds the store of a URI. An Object says enough to know
// an object again (size, ETag, version id); a Reader reads ranges of one
// object version, as ranged GETs; a Writer's object appears only when it
// is committed, whole (a multipart upload completed at the end), and never
// when it is aborted.
//
// Pins are the object versions of one job, carried by its context
// (WithPins): the package's Stat and Open pin the version a store gives
// first, and give it again without asking the store, so that every pass of
// a job reads one version of each object (Store.OpenObject reads a known
// version without a request to learn it).
//
// The package holds no adapter and imports nothing of fs: local files stay
// on the operating system's own calls in their callers.
package blob
