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
// A sync writes a new generation of values and makes it current, for
// every version of the sync at once, only when it is complete
// (Generation.Commit): a sync killed midway leaves the last complete one
// in place. The versions synced together (one entity) share one record
// per key (EncodeRecord), a slot each: a request reads a key once for all
// of them. A push (Store.Update) replaces some keys' slots of a version in
// its current generation, atomically per call.
package online
