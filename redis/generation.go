package redis

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/online"
)

// generation is a sync's values being written under a new number.
type generation struct {
	s      *Store
	gen    uint64
	groups uint32
}

// putBatch is how many fields one HSET carries.
const putBatch = 1000

// NewGeneration implements online.Store.
func (s *Store) NewGeneration(ctx context.Context) (online.Generation, error) {
	gen, err := s.c.Incr(ctx, keyGen).Uint64()
	if err != nil {
		return nil, s.wrap(err)
	}
	err = s.c.ZAdd(ctx, keyPending, goredis.Z{Score: float64(time.Now().Unix()), Member: strconv.FormatUint(gen, 10)}).Err()
	if err != nil {
		return nil, s.wrap(err)
	}
	return &generation{s: s, gen: gen}, nil
}

// Put implements online.Generation: HSETs of putBatch records, pipelined.
func (g *generation) Put(keys [][]byte, values [][][]byte) (uint32, error) {
	ctx := context.Background()
	group := g.groups
	g.groups++
	key := valuesKey(g.gen, group)
	slots := make([][]byte, len(values))
	_, err := g.s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for lo := 0; lo < len(keys); lo += putBatch {
			hi := min(lo+putBatch, len(keys))
			args := make([]any, 0, 2*(hi-lo))
			for i := lo; i < hi; i++ {
				for s := range values {
					slots[s] = values[s][i]
				}
				args = append(args, keys[i], online.EncodeRecord(slots))
			}
			p.HSet(ctx, key, args...)
		}
		return nil
	})
	return group, g.s.wrap(err)
}

// Commit implements online.Generation: the states in one transaction,
// then the hashes no state names any more unlinked.
func (g *generation) Commit(ctx context.Context, states []online.State) error {
	ids := make([]featurestore.ID, len(states))
	for i, st := range states {
		ids[i] = st.Version
	}
	old, err := g.s.States(ctx, ids)
	if err != nil {
		return err
	}
	_, err = g.s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		for _, st := range states {
			st.Generation = g.gen
			putState(ctx, p, st)
		}
		p.ZRem(ctx, keyPending, strconv.FormatUint(g.gen, 10))
		return nil
	})
	if err != nil {
		return g.s.wrap(err)
	}
	return g.s.dropUnused(ctx, old)
}

// dropUnused unlinks the hashes of the old states that no state names
// now.
func (s *Store) dropUnused(ctx context.Context, old map[featurestore.ID]online.State) error {
	all, err := s.States(ctx, nil)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, st := range all {
		used[valuesKey(st.Generation, st.Group)] = true
	}
	var stale []string
	for _, st := range old {
		if k := valuesKey(st.Generation, st.Group); !used[k] {
			used[k] = true
			stale = append(stale, k)
		}
	}
	if len(stale) > 0 {
		return s.wrap(s.c.Unlink(ctx, stale...).Err())
	}
	return nil
}

// Abort implements online.Generation.
func (g *generation) Abort(ctx context.Context) error {
	var keys []string
	for group := range g.groups {
		keys = append(keys, valuesKey(g.gen, group))
	}
	if len(keys) > 0 {
		if err := g.s.c.Unlink(ctx, keys...).Err(); err != nil {
			return g.s.wrap(err)
		}
	}
	return g.s.wrap(g.s.c.ZRem(ctx, keyPending, strconv.FormatUint(g.gen, 10)).Err())
}
