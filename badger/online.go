package badger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/online"
)

// Online is the online store on Badger: a database of its own (by default
// beside the store: OnlineDir). Keys:
//
//	gen                      the last generation number (8 bytes)
//	pend/<gen>               a generation being written (a killed sync leaves one)
//	st/<version, 32 bytes>   online.State, JSON
//	v/<gen><version><key>    an encoded value
//	req/<ns><seq>            a logged request, JSON
type Online struct {
	db  *badgerdb.DB
	dir string
	seq uint64
	mu  sync.Mutex
	// states caches the states requests read; every write empties it
	// (one process holds the database).
	states stateCache
}

// stateCache is the states read since the last write.
type stateCache struct {
	mu     sync.Mutex
	writes uint64
	m      map[featurestore.ID]online.State
}

// get returns the cached states of versions (all or none) and the write
// count they are valid at.
func (c *stateCache) get(versions []featurestore.ID) (map[featurestore.ID]online.State, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[featurestore.ID]online.State, len(versions))
	for _, v := range versions {
		st, ok := c.m[v]
		if !ok {
			return nil, c.writes
		}
		out[v] = st
	}
	return out, c.writes
}

// put caches states read when the write count was at.
func (c *stateCache) put(states map[featurestore.ID]online.State, at uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writes != at {
		return
	}
	if c.m == nil {
		c.m = map[featurestore.ID]online.State{}
	}
	for v, st := range states {
		c.m[v] = st
	}
}

// wrote empties the cache after a write.
func (c *stateCache) wrote() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	c.m = nil
}

var _ online.Store = (*Online)(nil)

// OnlineDir is where a store's online values are kept by default.
func OnlineDir(store string) string { return store + "-online" }

// OpenOnline opens (creating) the online store in dir. One process holds
// it; another gets ELOCKED.
func OpenOnline(dir string) (*Online, error) {
	db, err := openDB(badgerdb.DefaultOptions(dir).WithLogger(nil).WithNumVersionsToKeep(1))
	if err != nil {
		if isLocked(err) {
			return nil, featurestore.Errorf(featurestore.ELOCKED, "another fs process holds the online store at %s", dir).
				WithHint("while fs serve runs, reach the online store through it (--store URL)")
		}
		return nil, fmt.Errorf("open the online store %s: %w", dir, err)
	}
	o := &Online{db: db, dir: dir}
	return o, o.dropPending()
}

// Close closes the database.
func (o *Online) Close() error { return o.db.Close() }

func stateKey(v featurestore.ID) []byte { return append([]byte("st/"), v[:]...) }

func syncKey(v featurestore.ID) []byte { return append([]byte("sy/"), v[:]...) }

// putState writes a version's state: without its sources under st/ (what
// every request reads), whole under sy/ (what a sync reads).
func putState(txn *badgerdb.Txn, st online.State) error {
	full, err := json.Marshal(st)
	if err != nil {
		return err
	}
	st.Snapshots, st.Files = nil, nil
	light, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := txn.Set(stateKey(st.Version), light); err != nil {
		return err
	}
	return txn.Set(syncKey(st.Version), full)
}

func genBytes(g uint64) []byte { return binary.BigEndian.AppendUint64(nil, g) }

// valueKey is where the record of a key of a sync's group is.
func valueKey(g uint64, group uint32, key []byte) []byte {
	k := make([]byte, 0, 2+8+4+len(key))
	k = binary.BigEndian.AppendUint64(append(k, "v/"...), g)
	return append(binary.BigEndian.AppendUint32(k, group), key...)
}

// States implements online.Store, from the cache when it holds them:
// a request does not decode its versions' states again.
func (o *Online) States(ctx context.Context, versions []featurestore.ID) (map[featurestore.ID]online.State, error) {
	if versions == nil {
		return o.readStates(nil, stateKey, "st/")
	}
	got, at := o.states.get(versions)
	if got != nil {
		return got, nil
	}
	got, err := o.readStates(versions, stateKey, "st/")
	if err == nil && len(got) == len(versions) {
		o.states.put(got, at)
	}
	return got, err
}

// SyncStates implements online.Store.
func (o *Online) SyncStates(ctx context.Context, versions []featurestore.ID) (map[featurestore.ID]online.State, error) {
	return o.readStates(versions, syncKey, "sy/")
}

func (o *Online) readStates(versions []featurestore.ID, key func(featurestore.ID) []byte, prefix string) (map[featurestore.ID]online.State, error) {
	out := map[featurestore.ID]online.State{}
	err := o.db.View(func(txn *badgerdb.Txn) error {
		if versions == nil {
			return allStates(txn, prefix, out)
		}
		for _, v := range versions {
			var st online.State
			if ok, err := getJSONOK(txn, key(v), &st); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			out[v] = st
		}
		return nil
	})
	return out, err
}

func getJSONOK(txn *badgerdb.Txn, key []byte, dst any) (bool, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(func(b []byte) error { return json.Unmarshal(b, dst) })
}

// Get implements online.Store: one read of each (version, key).
func (o *Online) Get(ctx context.Context, states []online.State, keys [][]byte) ([][][]byte, error) {
	out := make([][][]byte, len(states))
	for i := range out {
		out[i] = make([][]byte, len(keys))
	}
	err := o.db.View(func(txn *badgerdb.Txn) error {
		for _, idx := range online.ByRecord(states) {
			st := states[idx[0]]
			for j, k := range keys {
				rec, err := getRecord(txn, valueKey(st.Generation, st.Group, k))
				if err != nil {
					return err
				}
				if rec == nil {
					continue // no value of this key
				}
				for _, i := range idx {
					if out[i][j], err = online.RecordSlot(rec, states[i].Slot); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return out, err
}

// getRecord reads a record (nil when there is none).
func getRecord(txn *badgerdb.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// Update implements online.Store: one transaction, each key's record
// read, its version's slot set, and written back.
func (o *Online) Update(ctx context.Context, changes []online.Change) error {
	defer o.states.wrote()
	return o.db.Update(func(txn *badgerdb.Txn) error {
		for _, c := range changes {
			st := c.State
			var cur online.State
			if ok, err := getJSONOK(txn, stateKey(st.Version), &cur); err != nil || !ok || cur.Generation != st.Generation {
				if err == nil {
					err = featurestore.Errorf(featurestore.ECONFLICT, "feature %s was synced again meanwhile", st.Name).
						WithHint("run the command again")
				}
				return err
			}
			if err := putState(txn, st); err != nil {
				return err
			}
			for i, k := range c.Keys {
				key := valueKey(st.Generation, st.Group, k)
				rec, err := getRecord(txn, key)
				if err != nil {
					return err
				}
				if rec, err = online.SetSlot(rec, st.Slot, c.Values[i]); err != nil {
					return err
				}
				if err := txn.Set(key, rec); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// allStates reads every version's state.
func allStates(txn *badgerdb.Txn, prefix string, out map[featurestore.ID]online.State) error {
	it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var st online.State
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &st) }); err != nil {
			return err
		}
		out[st.Version] = st
	}
	return nil
}
