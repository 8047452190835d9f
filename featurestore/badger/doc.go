// Package badger stores the fs registry in a Badger database
// (github.com/dgraph-io/badger/v4) in the store directory.
//
// Keys (values are JSON):
//
//	meta/format              store format version
//	fv/<hex id>              FeatureVersion, written once, never changed
//	fvn/<hex id>/<name>      a name that has pointed at that version
//	fh/<name>                FeatureHead
//	fhi/<name>\x00<8 bytes>  HistoryEntry, keyed by a per-name sequence number
//	sv/, sh/, shi/           the same for feature sets
//	src/<name>, ent/<name>   Source, Entity
//
// One process holds a store for writing; readers open it read-only and may
// run side by side. A second process gets an ELOCKED error.
package badger
