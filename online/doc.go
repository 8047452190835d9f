// Package online is the domain of online serving: the values of feature
// versions for every entity key, as of a time, kept in an online store
// (Store: Badger beside the store by default, Redis as the option) and
// read back one request at a time.
//
// A value is computed by materialize, under the materialize rule, for the
// entity row (key, as-of time): online values are the offline values by
// construction. Each is kept with its kind of null and the time it is as
// of (EncodeValue). Keys are the join key values, typed, in order
// (EncodeKey).
//
// A sync writes a new generation of a version's values and makes it
// current, for every version of the sync at once, only when it is
// complete (Generation.Commit): a sync killed midway leaves the last
// complete one in place. A push (Store.Update) replaces the values of some
// keys in the current generation, atomically per call.
package online
