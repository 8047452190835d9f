package badger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
)

// Format is the store format this package reads and writes, recorded
// under formatKey.
const (
	Format    = "1"
	formatKey = "meta/format"
)

// MaxFeaturesPerRegistration is about how many features one registration
// records: every name moves in one transaction (all or nothing), and a
// transaction holds 15% of a memtable (128 MiB). Measured: 22,000
// features over one source register, 25,000 do not.
const MaxFeaturesPerRegistration = 20_000

// Store is a featurestore.Registry on Badger.
type Store struct {
	db       *badgerdb.DB
	dir      string
	readOnly bool
	scratch  *view // set when a reader works on a scratch copy (see openView)
	decoded  decodeCache
}

var _ featurestore.Registry = (*Store)(nil)

func options(dir string) badgerdb.Options {
	return badgerdb.DefaultOptions(dir).
		WithLogger(nil).
		WithSyncWrites(true).
		WithNumVersionsToKeep(1).
		WithValueLogFileSize(64 << 20).
		WithMemTableSize(128 << 20).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(0).
		WithNumCompactors(2).
		WithCompactL0OnClose(false)
}

// Init creates a store in dir, or does nothing if one is there.
func Init(dir string) (created bool, err error) {
	if Exists(dir) {
		s, err := Open(dir, true)
		if err != nil {
			return false, err
		}
		return false, s.Close()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, featurestore.Errorf(featurestore.EINVALID, "cannot create the store directory %s: %v", dir, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		return false, featurestore.Errorf(featurestore.EINVALID, "%s exists and is not an fs store", dir).
			WithHint("choose an empty or new directory with --store")
	}
	if err := checkFreeSpace(dir, "the store"); err != nil {
		return false, err
	}
	db, err := openDB(options(dir))
	if err != nil {
		return false, openError(dir, err)
	}
	s := &Store{db: db, dir: dir}
	err = s.db.Update(func(txn *badgerdb.Txn) error {
		return txn.Set([]byte(formatKey), []byte(Format))
	})
	if err != nil {
		s.Close()
		return false, fmt.Errorf("init store: %w", err)
	}
	return true, s.Close()
}

// Exists reports whether dir holds a store.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "MANIFEST"))
	return err == nil
}

// Open opens the store in dir. A read-only store can be shared with other
// readers; a writable one is exclusive.
func Open(dir string, readOnly bool) (*Store, error) {
	if !Exists(dir) {
		return nil, featurestore.Errorf(featurestore.ENOSTORE, "no fs store at %s", dir).
			WithHint("run fs init, or point --store (or FS_STORE) at an existing store")
	}
	s, err := open(dir, readOnly)
	if err != nil {
		return nil, err
	}
	var format string
	err = s.db.View(func(txn *badgerdb.Txn) error {
		item, err := txn.Get([]byte(formatKey))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		format = string(v)
		return err
	})
	if err != nil || format != Format {
		s.Close()
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s is not an fs store of format %s (found %q)", dir, Format, format).
			WithHint("use the fs version that created it")
	}
	return s, nil
}

// NewInMemory returns a store that lives in memory only, for tests.
func NewInMemory() (*Store, error) {
	db, err := badgerdb.Open(badgerdb.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		return nil, err
	}
	s := &Store{db: db}
	return s, db.Update(func(txn *badgerdb.Txn) error { return txn.Set([]byte(formatKey), []byte(Format)) })
}

// Dir returns the store directory.
func (s *Store) Dir() string { return s.dir }

// Close closes the database.
// Close closes the database. A writer then verifies the tables it wrote
// (Badger writes them as it closes), so that readers need not.
func (s *Store) Close() error {
	if !s.readOnly && s.dir != "" && level0Tables(s.db) >= flattenAt {
		_ = s.db.Flatten(1) // for speed only: a merge that fails leaves the tables as they were
	}
	err := s.db.Close()
	if s.scratch != nil {
		s.scratch.release()
	}
	if err == nil && !s.readOnly && s.dir != "" {
		if st := inspect(s.dir, false); st.newlyVerified && len(st.damage) == 0 {
			writeVerified(s.dir, st.verified) // a cache: a failure costs the next reader time only
		}
	}
	return err
}

// flattenAt is how many level-0 tables a writer's Close merges into one.
// Badger writes its memtable as a new level-0 table when it closes, and a
// command lives too short for Badger's own compactions: without merging,
// every command that writes leaves a table that every later open reads
// (materialize took 45 ms longer on a store of 211 tables than on one of
// 15). Merging 212 such tables took 30 ms.
const flattenAt = 8

func level0Tables(db *badgerdb.DB) int {
	for _, l := range db.Levels() {
		if l.Level == 0 {
			return l.NumTables
		}
	}
	return 0
}

// DB exposes the database to the other adapters of this store (datasets,
// runs, lineage) so that they write in the same transactions.
func (s *Store) DB() *badgerdb.DB { return s.db }

func getJSON(txn *badgerdb.Txn, key string, v any) error {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return featurestore.Errorf(featurestore.ENOTFOUND, "%s not found", key)
	}
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

func setJSON(txn *badgerdb.Txn, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set([]byte(key), b)
}

func exists(txn *badgerdb.Txn, key string) (bool, error) {
	_, err := txn.Get([]byte(key))
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// scan calls fn for every key with prefix, in key order (or reverse).
func scan(txn *badgerdb.Txn, prefix string, reverse, keysOnly bool, fn func(key []byte, val []byte) error) error {
	opts := badgerdb.DefaultIteratorOptions
	opts.Prefix = []byte(prefix)
	opts.Reverse = reverse
	opts.PrefetchValues = !keysOnly
	it := txn.NewIterator(opts)
	defer it.Close()
	seek := []byte(prefix)
	if reverse {
		seek = append([]byte(prefix), 0xff)
	}
	for it.Seek(seek); it.ValidForPrefix([]byte(prefix)); it.Next() {
		item := it.Item()
		var val []byte
		if !keysOnly {
			var err error
			if val, err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		if err := fn(item.Key(), val); err != nil {
			return err
		}
	}
	return nil
}

// list decodes every value under prefix, in key order or reversed; never
// nil.
func list[T any](s *Store, prefix string, reverse bool) ([]T, error) {
	out := []T{}
	err := s.view(func(txn *badgerdb.Txn) error {
		return scan(txn, prefix, reverse, false, func(_, val []byte) error {
			var v T
			if err := json.Unmarshal(val, &v); err != nil {
				return err
			}
			out = append(out, v)
			return nil
		})
	})
	return out, err
}

func (s *Store) view(fn func(txn *badgerdb.Txn) error) error { return s.db.View(fn) }

// update runs fn in a read-write transaction, retrying on conflicts.
func (s *Store) update(fn func(txn *badgerdb.Txn) error) error {
	if s.readOnly {
		return featurestore.Errorf(featurestore.EINTERNAL, "store opened read-only")
	}
	for attempt := 0; ; attempt++ {
		err := s.db.Update(fn)
		if errors.Is(err, badgerdb.ErrConflict) && attempt < 5 {
			time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
			continue
		}
		return err
	}
}

func seqKey(prefix, name string, seq uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return prefix + name + "\x00" + string(b[:])
}

// Ping checks the store can be read.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(func(txn *badgerdb.Txn) error { return ctx.Err() })
}

// Changes is a number that grows with every write committed to the store
// (Badger's last commit timestamp): what a cache of records keys on.
func (s *Store) Changes() uint64 { return s.db.MaxVersion() }
