package badger

import (
	"encoding/json"
	"errors"
	"sync"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
)

// decodeCache keeps records decoded from JSON with the version (commit
// timestamp) of the value they came from, so that lineage walks over a
// large graph do not decode the same records again on every request: a
// server answers many. An entry is used only while the key still holds
// that version, so a record written since is decoded afresh. It forgets
// everything when it holds maxDecoded entries.
type decodeCache struct {
	mu sync.Mutex
	m  map[string]decoded
}

type decoded struct {
	version uint64
	v       any
}

const maxDecoded = 100_000

// getCached is getJSON through the store's cache. The value returned is
// shared with the cache: callers copy what they change (the path mapping
// functions do).
func getCached[T any](s *Store, txn *badgerdb.Txn, key string) (T, error) {
	var v T
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return v, featurestore.Errorf(featurestore.ENOTFOUND, "%s not found", key)
	}
	if err != nil {
		return v, err
	}
	c := &s.decoded
	c.mu.Lock()
	d, ok := c.m[key]
	c.mu.Unlock()
	if ok && d.version == item.Version() {
		return d.v.(T), nil
	}
	if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxDecoded {
		c.m = map[string]decoded{}
	}
	c.m[key] = decoded{item.Version(), v}
	return v, nil
}
