package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/online"
	"github.com/fs-dev/fs/redis"
)

// OnlineSyncRequest asks for the online values of features as of a time.
type OnlineSyncRequest struct {
	Features   []string `json:"features,omitempty"`
	FeatureSet string   `json:"feature_set,omitempty"`
	// Run syncs the versions a run's model was trained on.
	Run  string `json:"run,omitempty"`
	AsOf Time   `json:"as_of,omitzero"` // default now
	// Full recomputes every key, even when the sources are unchanged or
	// only gained files.
	Full bool `json:"full,omitempty"`
}

// OnlineSyncResult is what a sync did, feature by feature.
type OnlineSyncResult struct {
	AsOf     time.Time           `json:"as_of"`
	Features []OnlineFeatureSync `json:"features"`
}

// The outcomes of a feature's sync.
const (
	SyncFull      = "synced"    // every key computed, a new generation
	SyncAdded     = "updated"   // the keys of the files added since, in place
	SyncUnchanged = "unchanged" // the same sources at the same time: nothing to do
)

// OnlineFeatureSync is one feature's sync.
type OnlineFeatureSync struct {
	Name    string          `json:"name"`
	Version featurestore.ID `json:"version"`
	Status  string          `json:"status"`
	Keys    int             `json:"keys"`    // keys with a value in the store
	Updated int             `json:"updated"` // keys computed by this sync
}

// onlineKeyColumn is the event time column of an online sync's entity rows
// (a name no feature can have).
const onlineKeyColumn = "_fs_as_of"

// OnlineSync computes the features' values for every entity key of their
// sources as of req.AsOf, under the materialize rule, and makes them the
// online values all at once. Sources unchanged since the last sync at the
// same time are not read; sources that only gained files have the keys of
// those files recomputed. Errors: EINVALID, ENOTFOUND, ELOCKED.
func (s *Service) OnlineSync(ctx context.Context, req OnlineSyncRequest) (*OnlineSyncResult, error) {
	ctx = blob.WithPins(ctx) // one version of each object for the digests and the values
	asOf := req.AsOf.Time
	if asOf.IsZero() {
		asOf = time.Now()
	}
	asOf = asOf.UTC().Truncate(time.Microsecond)
	features := req.Features
	if req.Run != "" {
		refs, _, err := s.onlineRefs(ctx, OnlineRequest{Run: req.Run, Features: req.Features, FeatureSet: req.FeatureSet})
		if err != nil {
			return nil, err
		}
		features = pinned(refs)
	}
	groups, err := s.onlineGroups(ctx, features, req.FeatureSet)
	if err != nil {
		return nil, err
	}
	store, release, err := s.onlineStore(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	sy := &syncer{s: s, store: store, asOf: asOf, full: req.Full, digests: s.digestCache()}
	res := &OnlineSyncResult{AsOf: asOf}
	for _, g := range groups {
		done, err := sy.group(ctx, g)
		if err != nil {
			sy.abort(ctx)
			return nil, err
		}
		res.Features = append(res.Features, done...)
	}
	if err := sy.commit(ctx); err != nil {
		return nil, err
	}
	sy.digests.Save()
	return res, nil
}

// digestCache is the store's cache of source file digests (save it when
// done).
func (s *Service) digestCache() *materialize.DigestCache {
	return materialize.OpenDigestCache(filepath.Join(s.Store.Dir(), DigestsFile))
}

// onlineGroup is features of one entity (the same join keys).
type onlineGroup struct {
	refs     []featurestore.FeatureRef
	versions []*featurestore.FeatureVersion
	// steady: no feature (nor any it reads) has a TTL or a window, so its
	// values change only with new rows, not with the time alone.
	steady bool
}

// onlineGroups resolves the features asked for and groups them by join
// keys.
func (s *Service) onlineGroups(ctx context.Context, features []string, set string) ([]*onlineGroup, error) {
	if len(features) == 0 && set == "" {
		return nil, featurestore.Errorf(featurestore.EUSAGE, "no features asked for").WithHint("give --features a,b or --feature-set NAME")
	}
	var job *materialize.Job
	err := s.read(ctx, func(st Store) (err error) {
		job, err = materialize.Resolve(ctx, st, materialize.Request{Features: features, FeatureSet: set})
		return err
	})
	if err != nil {
		return nil, err
	}
	byKeys := map[string]*onlineGroup{}
	var out []*onlineGroup
	for _, ref := range job.Outputs() {
		v := job.Version(ref.Version)
		k := strings.Join(v.JoinKeys, "\x00")
		g := byKeys[k]
		if g == nil {
			g = &onlineGroup{steady: true}
			byKeys[k] = g
			out = append(out, g)
		}
		g.refs, g.versions = append(g.refs, ref), append(g.versions, v)
		g.steady = g.steady && steady(job, v)
	}
	return out, nil
}

// steady reports whether v's values change only with new rows: neither v
// nor a feature it reads has a TTL or is an aggregation over a window.
func steady(job *materialize.Job, v *featurestore.FeatureVersion) bool {
	if v == nil || v.TTL != 0 || v.Aggregation != nil {
		return false
	}
	for _, d := range v.DependsOn {
		if !steady(job, job.Version(d.Version)) {
			return false
		}
	}
	return true
}

// pinned is the refs as NAME@VERSION.
func pinned(refs []featurestore.FeatureRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Name + "@" + r.Version.String()
	}
	return out
}

// onlineStore opens the online store for one use case.
func (s *Service) onlineStore(ctx context.Context) (online.Store, func(), error) {
	if s.OnlineStore != nil {
		return s.OnlineStore.Open(ctx)
	}
	st, err := badger.OpenOnline(badger.OnlineDir(s.Store.Dir()))
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

// OnlineOpener gives a use case the online store (a server's, held open;
// Redis), and a function to call when done with it.
type OnlineOpener interface {
	Open(ctx context.Context) (online.Store, func(), error)
}

// syncer is one sync in progress: its generation, started on the first
// group that needs one, and the states it will make current.
type syncer struct {
	s       *Service
	store   online.Store
	asOf    time.Time
	full    bool
	digests *materialize.DigestCache
	gen     online.Generation
	states  []online.State
}

// group syncs the features of one entity: nothing, the keys of the files
// added, or every key.
func (sy *syncer) group(ctx context.Context, g *onlineGroup) ([]OnlineFeatureSync, error) {
	ids := make([]featurestore.ID, len(g.refs))
	for i, r := range g.refs {
		ids[i] = r.Version
	}
	prev, err := sy.store.SyncStates(ctx, ids)
	if err != nil {
		return nil, err
	}
	now, err := sy.s.snapshots(ctx, g.versions, sy.digests)
	if err != nil {
		return nil, err
	}
	added, ok := sy.onlyAdded(g, prev, now)
	switch {
	case sy.full || !ok:
	case sy.at(g, prev, sy.asOf.Equal) && len(added) == 0:
		return sy.unchanged(g, prev), nil
	case sy.at(g, prev, sy.asOf.Equal):
		return sy.incremental(ctx, g, prev, now, added)
	case g.steady && sy.at(g, prev, sy.asOf.After) && noRowAfter(g, prev):
		// Only rows can change steady values, and the files read held none
		// after the last sync: the keys of the files added are all to do.
		return sy.incremental(ctx, g, prev, now, added)
	}
	return sy.fullSync(ctx, g, now)
}

// at reports whether when holds of the last sync time of every feature of
// g.
func (sy *syncer) at(g *onlineGroup, prev map[featurestore.ID]online.State, when func(time.Time) bool) bool {
	for _, ref := range g.refs {
		if !when(prev[ref.Version].AsOf) {
			return false
		}
	}
	return true
}

// noRowAfter reports whether the rows each feature of g was last synced
// from were all at or before that sync's time (events and creations).
func noRowAfter(g *onlineGroup, prev map[featurestore.ID]online.State) bool {
	for _, ref := range g.refs {
		st := prev[ref.Version]
		if st.Through.After(st.AsOf) || (st.Through.IsZero() && st.Keys > 0) { // zero with keys: not known
			return false
		}
	}
	return true
}

// onlyAdded reports whether every feature of g was synced before from
// files that are all still there as they were, and which files were added
// since.
func (sy *syncer) onlyAdded(g *onlineGroup, prev map[featurestore.ID]online.State, now sourceState) (map[string]bool, bool) {
	added := map[string]bool{}
	for _, ref := range g.refs {
		st, ok := prev[ref.Version]
		if !ok {
			return nil, false
		}
		for src, files := range now.files {
			had := map[string]featurestore.FileSnapshot{}
			for _, f := range st.Files[src] {
				had[f.Path] = f
			}
			for _, f := range files {
				if old, ok := had[f.Path]; !ok {
					added[f.Path] = true
				} else if old != f {
					return nil, false
				}
				delete(had, f.Path)
			}
			if len(had) > 0 {
				return nil, false // a file is gone
			}
		}
	}
	return added, true
}

func (sy *syncer) unchanged(g *onlineGroup, prev map[featurestore.ID]online.State) []OnlineFeatureSync {
	var out []OnlineFeatureSync
	for _, ref := range g.refs {
		out = append(out, OnlineFeatureSync{Name: ref.Name, Version: ref.Version, Status: SyncUnchanged, Keys: prev[ref.Version].Keys})
	}
	return out
}

// fullSync computes every key's values into the sync's generation.
func (sy *syncer) fullSync(ctx context.Context, g *onlineGroup, now sourceState) ([]OnlineFeatureSync, error) {
	vals, err := sy.s.onlineValues(ctx, g, sy.asOf, nil, sy.digests)
	if err != nil {
		return nil, err
	}
	if sy.gen == nil {
		if sy.gen, err = sy.store.NewGeneration(ctx); err != nil {
			return nil, err
		}
	}
	group, err := sy.gen.Put(vals.keys, vals.values)
	if err != nil {
		return nil, err
	}
	var out []OnlineFeatureSync
	for i, ref := range g.refs {
		st := vals.state(i, ref, g.versions[i], sy.asOf, now)
		st.Keys, st.Group, st.Slot = len(vals.keys), group, i
		sy.states = append(sy.states, st)
		out = append(out, OnlineFeatureSync{Name: ref.Name, Version: ref.Version, Status: SyncFull, Keys: st.Keys, Updated: st.Keys})
	}
	return out, nil
}

// incremental computes the keys of the files added since the last sync at
// the same time and writes them in place, with the new states, at once.
func (sy *syncer) incremental(ctx context.Context, g *onlineGroup, prev map[featurestore.ID]online.State, now sourceState,
	added map[string]bool) ([]OnlineFeatureSync, error) {
	vals, err := sy.s.onlineValues(ctx, g, sy.asOf, added, sy.digests)
	if err != nil {
		return nil, err
	}
	if len(vals.keys)*len(g.refs) > online.MaxUpdate { // too many for one transaction: a new generation, whole
		return sy.fullSync(ctx, g, now)
	}
	var changes []online.Change
	var out []OnlineFeatureSync
	newKeys := vals.newKeys(ctx, sy.store, statesOf(g, prev))
	for i, ref := range g.refs {
		st := vals.state(i, ref, g.versions[i], sy.asOf, now)
		old := prev[ref.Version]
		st.Group, st.Slot = old.Group, old.Slot
		if st.KeyTypes == nil { // the files added hold no row
			st.KeyTypes, st.Absent = old.KeyTypes, old.Absent
		}
		if old.Through.After(st.Through) {
			st.Through = old.Through
		}
		st.Generation, st.Keys = old.Generation, old.Keys+newKeys[i]
		changes = append(changes, online.Change{State: st, Keys: vals.keys, Values: vals.values[i]})
		out = append(out, OnlineFeatureSync{Name: ref.Name, Version: ref.Version, Status: SyncAdded, Keys: st.Keys, Updated: len(vals.keys)})
	}
	return out, sy.store.Update(ctx, changes)
}

func (sy *syncer) commit(ctx context.Context) error {
	if sy.gen == nil {
		return nil
	}
	return sy.gen.Commit(ctx, sy.states)
}

func (sy *syncer) abort(ctx context.Context) {
	if sy.gen != nil {
		sy.gen.Abort(context.WithoutCancel(ctx))
	}
}

// sourceState is the sources' files and digests now, by source name.
type sourceState struct {
	digests map[string]string
	files   map[string][]featurestore.FileSnapshot
}

// snapshots snapshots the sources the versions read (with the digests
// kept, so that unchanged files are not read).
func (s *Service) snapshots(ctx context.Context, versions []*featurestore.FeatureVersion, d *materialize.DigestCache) (sourceState, error) {
	out := sourceState{digests: map[string]string{}, files: map[string][]featurestore.FileSnapshot{}}
	for _, v := range versions {
		src := v.Source
		if _, done := out.digests[src.Name]; done {
			continue
		}
		files, table, err := sourceFiles(ctx, src)
		if err != nil {
			return out, fmt.Errorf("source %s: %w", src.Name, err)
		}
		if err := s.checkFiles("source file", files); err != nil {
			return out, err
		}
		if table != nil {
			out.digests[src.Name], out.files[src.Name] = featurestore.TableSnapshotDigest(table), table.Files
			continue
		}
		snap, err := materialize.SnapshotWith(ctx, d, src, files)
		if err != nil {
			return out, err
		}
		out.digests[src.Name], out.files[src.Name] = snap.Digest, snap.Files
	}
	return out, nil
}

// OnlineEnv names the online store when no --online flag does.
const OnlineEnv = "FS_ONLINE"

// heldOnline is an online store opened on first use and held open for
// the process's life (a server's); a failed open is tried again on the
// next use (Redis down when the server started).
type heldOnline struct {
	mu    sync.Mutex
	open  func(ctx context.Context) (online.Store, error)
	store online.Store
}

// Open implements OnlineOpener.
func (h *heldOnline) Open(ctx context.Context) (online.Store, func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.store == nil {
		st, err := h.open(ctx)
		if err != nil {
			return nil, nil, err
		}
		h.store = st
	}
	return h.store, func() {}, nil
}

func (h *heldOnline) close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.store == nil {
		return nil
	}
	return h.store.Close()
}

// holdOnline makes the service hold its online store (at url; "" the
// embedded one beside the store) open from its first use until
// CloseOnline.
func (s *Service) holdOnline(url string) {
	s.OnlineStore = &heldOnline{open: func(ctx context.Context) (online.Store, error) {
		if url != "" {
			return OpenOnlineURL(ctx, url)
		}
		return badger.OpenOnline(badger.OnlineDir(s.Store.Dir()))
	}}
}

// CloseOnline closes an online store the service holds.
func (s *Service) CloseOnline() error {
	if h, ok := s.OnlineStore.(*heldOnline); ok {
		return h.close()
	}
	return nil
}

// onlineURL opens the online store at a URL for each use.
type onlineURL string

// OnlineAt is the online store at u (redis://HOST:PORT[/DB]), opened on
// each use; a URL of no known scheme is refused then.
func OnlineAt(u string) OnlineOpener { return onlineURL(u) }

// Open implements OnlineOpener.
func (u onlineURL) Open(ctx context.Context) (online.Store, func(), error) {
	st, err := OpenOnlineURL(ctx, string(u))
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

// OpenOnlineURL opens the online store at u.
func OpenOnlineURL(ctx context.Context, u string) (online.Store, error) {
	if strings.HasPrefix(u, "redis://") || strings.HasPrefix(u, "rediss://") {
		return redis.Open(ctx, u)
	}
	return nil, featurestore.Errorf(featurestore.EUSAGE, "online store %q: fs knows redis://HOST:PORT[/DB]", u).
		WithHint("leave --online and $%s unset for the embedded store", OnlineEnv)
}
