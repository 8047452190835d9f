// Package badger stores the fs registry, datasets, runs and lineage in a
// Badger database (github.com/dgraph-io/badger/v4) in the store directory.
//
// Keys (values are JSON):
//
//	meta/format              store format version
//	fv/<hex id>              FeatureVersion, written once, never changed
//	fvn/<hex id>/<name>      a name that has pointed at that version
//	fh/<name>                FeatureHead
//	fhi/<name>\x00<8 bytes>  HistoryEntry, keyed by a per-name sequence number
//	sv/, sh/, shi/           the same for feature sets
//	srcv/<hex id>            SourceVersion, written once, never changed
//	srch/, srchi/            a source name's head and history, as fh/, fhi/
//	src/<name>, ent/<name>   Source as last declared, Entity
//	ds/<id>, snap/<digest>   Dataset, SourceSnapshot
//	run/<id>, mv/<name/ver>  trainer.Run, registered model version
//	e>/<from>\x00<to>        lineage edge, and e</<to>\x00<from> its twin
//	profile/<node>           a profile kept with its lineage node
//
// # Opening
//
// One process holds a store for writing; readers open it read-only and may
// run side by side. A second process gets an ELOCKED error.
//
// Before Badger opens a store, its files are checked (check.go): the
// MANIFEST must replay to its end, every table it names must be present
// with a sound index and blocks that pass their checksums (verified once
// per table and remembered in fs-verified-tables by writers), and a
// write-ahead log may end only in a killed writer's unfinished
// transaction. Anything else is EDAMAGED and nothing is written. A reader
// that would make Badger change files (replay a log, drop an unfinished
// table) opens a scratch copy instead (open.go).
//
// Badger writes a writer's changes as a new table when it closes, and a
// command lives too short for Badger's background compactions, so a
// writer's Close merges the tables once 8 have gathered (flattenAt);
// otherwise every open would read one more table per command before it.
//
// # Checking and repair
//
// Check reads every file and record without changing anything (Report);
// Repair renames the store to a backup and rebuilds it from every record
// that can be read (repair.go, wal.go).
package badger
