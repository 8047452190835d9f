// Package featurestore holds the domain of fs: entities, sources, features
// and their immutable content-hashed versions, feature sets, and the
// Registry interface that stores implement.
//
// # Versions
//
// A feature version is the SHA-256 of a canonical description of what the
// feature computes (see Descriptor): the canonical expression, the output
// type, the TTL, the parts of the source definition that affect values and
// the versions of the features it reads. Metadata never enters the hash.
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
