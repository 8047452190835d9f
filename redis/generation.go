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
	s   *Store
	gen uint64
	// versions are those Put, whose hashes Abort unlinks.
	versions map[featurestore.ID]bool
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
	return &generation{s: s, gen: gen, versions: map[featurestore.ID]bool{}}, nil
}

// Put implements online.Generation: HSETs of putBatch fields, pipelined.
func (g *generation) Put(version featurestore.ID, keys, values [][]byte) error {
	ctx := context.Background()
	g.versions[version] = true
	key := valuesKey(g.gen, version)
	_, err := g.s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for lo := 0; lo < len(keys); lo += putBatch {
			hi := min(lo+putBatch, len(keys))
			args := make([]any, 0, 2*(hi-lo))
			for i := lo; i < hi; i++ {
				args = append(args, keys[i], values[i])
			}
			p.HSet(ctx, key, args...)
		}
		return nil
	})
	return g.s.wrap(err)
}

// Commit implements online.Generation: the states in one transaction,
// then the replaced generations' hashes unlinked.
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
	var stale []string
	for _, st := range old {
		stale = append(stale, valuesKey(st.Generation, st.Version))
	}
	if len(stale) > 0 {
		return g.s.wrap(g.s.c.Unlink(ctx, stale...).Err())
	}
	return nil
}

// Abort implements online.Generation.
func (g *generation) Abort(ctx context.Context) error {
	var keys []string
	for v := range g.versions {
		keys = append(keys, valuesKey(g.gen, v))
	}
	if len(keys) > 0 {
		if err := g.s.c.Unlink(ctx, keys...).Err(); err != nil {
			return g.s.wrap(err)
		}
	}
	return g.s.wrap(g.s.c.ZRem(ctx, keyPending, strconv.FormatUint(g.gen, 10)).Err())
}
