package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/online"
)

// The keys of the online store.
const (
	keyGen      = "fs:gen"  // the last generation number (INCR)
	keyPending  = "fs:pend" // generations being written, scored by start time
	keyStates   = "fs:st"   // version (hex) -> online.State JSON, without its sources
	keySync     = "fs:sy"   // version (hex) -> online.State JSON, whole
	keyRequests = "fs:req"  // logged requests, newest first
	// maxRequests is how many logged requests are kept.
	maxRequests = 100_000
	// abandoned is how old a pending generation must be for another
	// process to take it for a killed sync's and drop it.
	abandoned = time.Hour
)

// quiet drops go-redis's own log lines: its errors reach fs's callers.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func init() { goredis.SetLogger(quiet{}) }

// valuesKey is the hash of a sync's group of records: field, an encoded
// key; value, its record.
func valuesKey(gen uint64, group uint32) string { return fmt.Sprintf("fs:v:%d:%d", gen, group) }

// Store is an online store in a Redis database.
type Store struct {
	c   *goredis.Client
	url string
}

var _ online.Store = (*Store)(nil)

// Open connects to the Redis at url (redis://HOST:PORT[/DB]) and drops
// what killed syncs left. ENOSTORE when it cannot be reached.
func Open(ctx context.Context, url string) (*Store, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EUSAGE, "online store %s: %v", url, err).
			WithHint("give redis://HOST:PORT[/DB]")
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = 2*time.Second, 30*time.Second, 30*time.Second
	opt.MaxRetries = 1
	s := &Store{c: goredis.NewClient(opt), url: url}
	if err := s.c.Ping(ctx).Err(); err != nil {
		s.c.Close()
		return nil, s.wrap(err)
	}
	return s, s.dropAbandoned(ctx)
}

// wrap gives a Redis error fs's code: unreachable is ENOSTORE.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	var fe *featurestore.Error
	if errors.As(err, &fe) || errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, goredis.TxFailedErr) {
		return featurestore.Errorf(featurestore.ECONFLICT, "the online values changed meanwhile (another sync or push)").
			WithHint("run the command again")
	}
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		return fmt.Errorf("redis %s: %w", s.url, err)
	}
	return featurestore.Errorf(featurestore.ENOSTORE, "cannot reach the online store at %s: %v", s.url, err).
		WithHint("start redis-server there, or give another --online (or $FS_ONLINE)")
}

// Close closes the connections.
func (s *Store) Close() error { return s.c.Close() }

// States implements online.Store.
func (s *Store) States(ctx context.Context, versions []featurestore.ID) (map[featurestore.ID]online.State, error) {
	return s.states(ctx, keyStates, versions)
}

// SyncStates implements online.Store.
func (s *Store) SyncStates(ctx context.Context, versions []featurestore.ID) (map[featurestore.ID]online.State, error) {
	return s.states(ctx, keySync, versions)
}

// putState queues the writes of a version's state: without its sources
// in keyStates, whole in keySync.
func putState(ctx context.Context, p goredis.Pipeliner, st online.State) {
	full, _ := json.Marshal(st)
	st.Snapshots, st.Files = nil, nil
	light, _ := json.Marshal(st)
	p.HSet(ctx, keyStates, st.Version.String(), light)
	p.HSet(ctx, keySync, st.Version.String(), full)
}

func (s *Store) states(ctx context.Context, hash string, versions []featurestore.ID) (map[featurestore.ID]online.State, error) {
	out := map[featurestore.ID]online.State{}
	var raw []any
	if versions == nil {
		all, err := s.c.HGetAll(ctx, hash).Result()
		if err != nil {
			return nil, s.wrap(err)
		}
		for _, v := range all {
			raw = append(raw, v)
		}
	} else if len(versions) > 0 {
		fields := make([]string, len(versions))
		for i, v := range versions {
			fields[i] = v.String()
		}
		var err error
		if raw, err = s.c.HMGet(ctx, hash, fields...).Result(); err != nil {
			return nil, s.wrap(err)
		}
	}
	for _, r := range raw {
		str, ok := r.(string)
		if !ok {
			continue // never synced
		}
		var st online.State
		if err := json.Unmarshal([]byte(str), &st); err != nil {
			return nil, featurestore.Errorf(featurestore.EDAMAGED, "online store %s: a state is not JSON: %v", s.url, err)
		}
		out[st.Version] = st
	}
	return out, nil
}

// Get implements online.Store: one HMGET per group of records, in one
// round trip.
func (s *Store) Get(ctx context.Context, states []online.State, keys [][]byte) ([][][]byte, error) {
	fields := make([]string, len(keys))
	for i, k := range keys {
		fields[i] = string(k)
	}
	groups := online.ByRecord(states)
	cmds := make([]*goredis.SliceCmd, len(groups))
	_, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, idx := range groups {
			st := states[idx[0]]
			cmds[i] = p.HMGet(ctx, valuesKey(st.Generation, st.Group), fields...)
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	out := make([][][]byte, len(states))
	for i := range out {
		out[i] = make([][]byte, len(keys))
	}
	for g, c := range cmds {
		for j, v := range c.Val() {
			rec, ok := v.(string)
			if !ok {
				continue
			}
			for _, i := range groups[g] {
				if out[i][j], err = online.RecordSlot([]byte(rec), states[i].Slot); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// Update implements online.Store: a transaction watching the states, so
// that a sync made meanwhile fails it (ECONFLICT); each key's record is
// read, its version's slot set, and written back.
func (s *Store) Update(ctx context.Context, changes []online.Change) error {
	return s.wrap(s.c.Watch(ctx, func(tx *goredis.Tx) error {
		if err := s.checkGenerations(ctx, changes); err != nil {
			return err
		}
		recs, err := s.records(ctx, changes)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			for field, rec := range recs {
				p.HSet(ctx, field.hash, field.key, rec)
			}
			for _, c := range changes {
				putState(ctx, p, c.State)
			}
			return nil
		})
		return err
	}, keyStates))
}

// checkGenerations refuses changes to versions synced again since.
func (s *Store) checkGenerations(ctx context.Context, changes []online.Change) error {
	ids := make([]featurestore.ID, len(changes))
	for i, c := range changes {
		ids[i] = c.State.Version
	}
	now, err := s.States(ctx, ids)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if cur, ok := now[c.State.Version]; !ok || cur.Generation != c.State.Generation {
			return featurestore.Errorf(featurestore.ECONFLICT, "%s was synced again meanwhile", c.State.Name).
				WithHint("run the command again")
		}
	}
	return nil
}

// recordField is a key's record in a group's hash.
type recordField struct{ hash, key string }

// records reads the records the changes touch and sets their slots.
func (s *Store) records(ctx context.Context, changes []online.Change) (map[recordField][]byte, error) {
	recs := map[recordField][]byte{}
	for _, c := range changes {
		hash := valuesKey(c.State.Generation, c.State.Group)
		fields := make([]string, len(c.Keys))
		for i, k := range c.Keys {
			fields[i] = string(k)
		}
		if len(fields) == 0 {
			continue
		}
		got, err := s.c.HMGet(ctx, hash, fields...).Result()
		if err != nil {
			return nil, err
		}
		for i, f := range fields {
			rf := recordField{hash, f}
			rec, seen := recs[rf]
			if str, ok := got[i].(string); ok && !seen {
				rec = []byte(str)
			}
			if recs[rf], err = online.SetSlot(rec, c.State.Slot, c.Values[i]); err != nil {
				return nil, err
			}
		}
	}
	return recs, nil
}

// LogRequest implements online.Store: the newest maxRequests are kept.
func (s *Store) LogRequest(ctx context.Context, r online.LoggedRequest) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.LPush(ctx, keyRequests, b)
		p.LTrim(ctx, keyRequests, 0, maxRequests-1)
		return nil
	})
	return s.wrap(err)
}

// Requests implements online.Store: the last n, newest first.
func (s *Store) Requests(ctx context.Context, n int) ([]online.LoggedRequest, error) {
	raw, err := s.c.LRange(ctx, keyRequests, 0, int64(n)-1).Result()
	if err != nil {
		return nil, s.wrap(err)
	}
	out := make([]online.LoggedRequest, 0, len(raw))
	for _, str := range raw {
		var r online.LoggedRequest
		if err := json.Unmarshal([]byte(str), &r); err != nil {
			return nil, featurestore.Errorf(featurestore.EDAMAGED, "online store %s: a logged request is not JSON: %v", s.url, err)
		}
		if time.Since(r.Time) <= online.RequestsKept {
			out = append(out, r)
		}
	}
	return out, nil
}

// dropAbandoned unlinks the values of generations pending for longer
// than abandoned (killed syncs).
func (s *Store) dropAbandoned(ctx context.Context) error {
	max := strconv.FormatInt(time.Now().Add(-abandoned).Unix(), 10)
	gens, err := s.c.ZRangeByScore(ctx, keyPending, &goredis.ZRangeBy{Min: "-inf", Max: max}).Result()
	if err != nil {
		return s.wrap(err)
	}
	for _, g := range gens {
		if err := s.unlinkMatching(ctx, "fs:v:"+g+":*"); err != nil {
			return err
		}
		if err := s.c.ZRem(ctx, keyPending, g).Err(); err != nil {
			return s.wrap(err)
		}
	}
	return nil
}

func (s *Store) unlinkMatching(ctx context.Context, pattern string) error {
	it := s.c.Scan(ctx, 0, pattern, 1000).Iterator()
	var batch []string
	for it.Next(ctx) {
		if batch = append(batch, it.Val()); len(batch) == 1000 {
			if err := s.c.Unlink(ctx, batch...).Err(); err != nil {
				return s.wrap(err)
			}
			batch = batch[:0]
		}
	}
	if err := it.Err(); err != nil {
		return s.wrap(err)
	}
	if len(batch) > 0 {
		return s.wrap(s.c.Unlink(ctx, batch...).Err())
	}
	return nil
}
