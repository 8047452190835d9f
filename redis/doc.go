// Package redis is the online store (online.Store) in Redis, through
// go-redis: for a team that already runs one. Each feature version's
// values of a sync are one hash (fs:v:GEN:VERSION, field: the encoded
// entity key), so a sync's new generation is written beside the current
// one and made current, for every version at once, by one transaction
// on the states (fs:st); the replaced hashes are then unlinked whole.
// An unreachable server is featurestore.ENOSTORE with a hint.
package redis
