package badger

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/online"
)

// generation is a sync being written: a write batch of values under a new
// generation number, marked pending until Commit.
type generation struct {
	o      *Online
	gen    uint64
	groups uint32
	wb     *badgerdb.WriteBatch
}

// NewGeneration implements online.Store.
func (o *Online) NewGeneration(ctx context.Context) (online.Generation, error) {
	var gen uint64
	err := o.db.Update(func(txn *badgerdb.Txn) error {
		item, err := txn.Get([]byte("gen"))
		switch {
		case errors.Is(err, badgerdb.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			b, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			gen = binary.BigEndian.Uint64(b)
		}
		gen++
		if err := txn.Set([]byte("gen"), genBytes(gen)); err != nil {
			return err
		}
		return txn.Set(append([]byte("pend/"), genBytes(gen)...), nil)
	})
	if err != nil {
		return nil, err
	}
	return &generation{o: o, gen: gen, wb: o.db.NewWriteBatch()}, nil
}

// Put implements online.Generation.
func (g *generation) Put(keys [][]byte, values [][][]byte) (uint32, error) {
	group := g.groups
	g.groups++
	slots := make([][]byte, len(values))
	for _, i := range byteOrder(keys) {
		for s := range values {
			slots[s] = values[s][i]
		}
		if err := g.wb.Set(valueKey(g.gen, group, keys[i]), online.EncodeRecord(slots)); err != nil {
			return 0, err
		}
	}
	return group, nil
}

// byteOrder is the indices of keys in the keys' byte order: written in
// that order, the database inserts each next to the last.
func byteOrder(keys [][]byte) []int {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	return order
}

// Commit writes the values, then makes them current for every version in
// one transaction, then drops the generations no version uses any more.
func (g *generation) Commit(ctx context.Context, states []online.State) error {
	if err := g.wb.Flush(); err != nil {
		return err
	}
	var old []uint64
	defer g.o.states.wrote()
	err := g.o.db.Update(func(txn *badgerdb.Txn) error {
		for _, st := range states {
			var prev online.State
			if ok, err := getJSONOK(txn, stateKey(st.Version), &prev); err != nil {
				return err
			} else if ok {
				old = append(old, prev.Generation)
			}
			st.Generation = g.gen
			if err := putState(txn, st); err != nil {
				return err
			}
		}
		return txn.Delete(append([]byte("pend/"), genBytes(g.gen)...))
	})
	if err != nil {
		return err
	}
	return g.o.dropUnused(old)
}

// Abort drops what was written.
func (g *generation) Abort(ctx context.Context) error {
	g.wb.Cancel()
	if err := g.o.db.DropPrefix(append([]byte("v/"), genBytes(g.gen)...)); err != nil {
		return err
	}
	return g.o.db.Update(func(txn *badgerdb.Txn) error { return txn.Delete(append([]byte("pend/"), genBytes(g.gen)...)) })
}

// dropUnused drops the values of generations no version's state names.
func (o *Online) dropUnused(gens []uint64) error {
	used := map[uint64]bool{}
	err := o.db.View(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte("st/"), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var st online.State
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &st) }); err != nil {
				return err
			}
			used[st.Generation] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range gens {
		if !used[g] {
			if err := o.db.DropPrefix(append([]byte("v/"), genBytes(g)...)); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropPending drops the values of generations a killed sync left.
func (o *Online) dropPending() error {
	var gens []uint64
	err := o.db.View(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte("pend/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			gens = append(gens, binary.BigEndian.Uint64(it.Item().Key()[len("pend/"):]))
		}
		return nil
	})
	if err != nil || len(gens) == 0 {
		return err
	}
	for _, g := range gens {
		if err := o.db.DropPrefix(append([]byte("v/"), genBytes(g)...)); err != nil {
			return err
		}
	}
	return o.db.Update(func(txn *badgerdb.Txn) error {
		for _, g := range gens {
			if err := txn.Delete(append([]byte("pend/"), genBytes(g)...)); err != nil {
				return err
			}
		}
		return nil
	})
}

// LogRequest implements online.Store.
func (o *Online) LogRequest(ctx context.Context, r online.LoggedRequest) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.seq++
	key := append(append([]byte("req/"), genBytes(uint64(time.Now().UnixNano()))...), genBytes(o.seq)...)
	o.mu.Unlock()
	return o.db.Update(func(txn *badgerdb.Txn) error {
		return txn.SetEntry(badgerdb.NewEntry(key, b).WithTTL(online.RequestsKept))
	})
}

// Requests implements online.Store: the last n logged, newest first.
func (o *Online) Requests(ctx context.Context, n int) ([]online.LoggedRequest, error) {
	var out []online.LoggedRequest
	err := o.db.View(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte("req/"), Reverse: true, PrefetchValues: true})
		defer it.Close()
		for it.Seek([]byte("req/\xff")); it.Valid() && len(out) < n; it.Next() {
			var r online.LoggedRequest
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &r) }); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
