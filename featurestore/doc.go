// Package featurestore holds the domain of fs: entities, sources, features
// and their immutable content-hashed versions, feature sets, and the
// Registry interface that stores implement.
//
// # Versions
//
// A feature version is the SHA-256 of a canonical description of what the
// feature computes (see FeatureDescriptor): the canonical expression, the
// output type, the TTL, the version of the source it reads, the columns it
// reads with their physical types and the versions of the features it
// reads. A source version (SourceVersion) is the hash of the source's
// declaration as far as it decides which rows are read: where the data
// lives (relative to the project when inside it; see SourceLocation), its
// format, entity and join keys, and time fields. So a change anywhere
// upstream re-versions everything downstream, like a Merkle tree, and two
// features that read different data never share a version. Metadata never
// enters a hash. Versions of FeatureFormatV1, made before sources had
// versions, stay readable as they were.
//
// # Adapters
//
// Storage lives in subpackages named after what they wrap: badger (the
// store), yaml (the definition file), parquet (source schemas). They speak
// to each other only in the types of this package.
//
// # Errors
//
// Services return *Error values with a code (EINVALID, ENOTFOUND,
// ECONFLICT, ELOCKED, ENOSTORE, EDAMAGED, EINTERNAL); ErrorCode extracts it.
package featurestore
