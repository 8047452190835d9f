package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/online"
	"github.com/fs-dev/fs/trainer"
	"github.com/fs-dev/fs/transforms"
)

// MaxOnlineEntities is the most entities one online request may ask for.
const MaxOnlineEntities = 10_000

// OnlineRequest asks for the online values of features (by name: their
// current versions; a feature set; or a run's pinned versions) for
// entities.
type OnlineRequest struct {
	Features   []string `json:"features,omitempty"`
	FeatureSet string   `json:"feature_set,omitempty"`
	Run        string   `json:"run,omitempty"`
	Entities   []Entity `json:"entities"`
	// Predict, with Run, adds the run's model's prediction from the
	// values (fs predict --online): the prediction column, or a
	// classifier's label and proba_<class> columns.
	Predict bool `json:"predict,omitempty"`
}

// Entity is one entity's join key values by join key name: integers for
// integer keys, strings for string keys.
type Entity map[string]any

// UnmarshalJSON keeps numbers as written (json.Number), so that an
// integer key is read exactly and a fraction is refused.
func (e *Entity) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*e = m
	return nil
}

// ParseEntity parses NAME=VALUE[,NAME=VALUE] as the command line gives an
// entity: a value that is JSON (1001, "1001") is that, any other text a
// string.
func ParseEntity(arg string) (Entity, error) {
	e := Entity{}
	for _, kv := range strings.Split(arg, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, featurestore.Errorf(featurestore.EUSAGE, "--entity %q: give NAME=VALUE", arg).
				WithHint("--entity driver_id=1001 (several join keys: --entity a=1,b=x)")
		}
		var val Entity
		if err := json.Unmarshal([]byte(`{"v":`+v+`}`), &val); err == nil {
			e[k] = val["v"]
		} else {
			e[k] = v
		}
	}
	return e, nil
}

// OnlineResult is one row per entity, in the order asked: the join keys,
// then each feature's value (null when it has none).
type OnlineResult struct {
	Columns []string         `json:"columns"`
	Rows    []map[string]any `json:"rows"`
	// Nulls says, for each row, why each null feature is null: no_row,
	// outside_ttl or null_value, as materialize counts them (not_synced:
	// a key of a sync made before fs kept the value of absent keys).
	Nulls    []map[string]string        `json:"nulls"`
	Versions map[string]featurestore.ID `json:"versions"`
	// AsOf is the oldest time any value was computed as of; Features
	// gives each feature's sync.
	AsOf     time.Time           `json:"as_of"`
	Features []OnlineFeatureInfo `json:"features"`
}

// OnlineFeatureInfo is a served feature version and its sync.
type OnlineFeatureInfo struct {
	Name    string          `json:"name"`
	Version featurestore.ID `json:"version"`
	AsOf    time.Time       `json:"as_of"`
	Synced  time.Time       `json:"synced"`
}

// NotSynced is the null reason of a key the last sync did not see.
const NotSynced = "not_synced"

// OnlineGet reads the online values of the features for the entities.
// Errors: EUSAGE (nothing asked for), EINVALID (entity keys),
// ENOTFOUND (a feature, run, or a version never synced), ENOSTORE (an
// online store unreachable).
func (s *Service) OnlineGet(ctx context.Context, req OnlineRequest) (*OnlineResult, error) {
	if err := checkEntities(req.Entities); err != nil {
		return nil, err
	}
	refs, run, err := s.onlineRefs(ctx, req)
	if err != nil {
		return nil, err
	}
	store, release, err := s.onlineStore(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	states, err := syncedStates(ctx, store, refs)
	if err != nil {
		return nil, err
	}
	res, logged, err := readOnline(ctx, store, states, req.Entities, s.LogRequests)
	if err != nil {
		return nil, err
	}
	if s.LogRequests {
		if err := store.LogRequest(ctx, *logged); err != nil {
			return nil, fmt.Errorf("log the request: %w", err)
		}
	}
	if req.Predict {
		return res, res.predict(run, states)
	}
	return res, nil
}

func checkEntities(ents []Entity) error {
	switch {
	case len(ents) == 0:
		return featurestore.Errorf(featurestore.EUSAGE, "no entities asked for").
			WithHint(`give "entities": [{"driver_id": 1001}] (fs online get: --entity driver_id=1001)`)
	case len(ents) > MaxOnlineEntities:
		return featurestore.Errorf(featurestore.EINVALID, "%d entities in one request: at most %d", len(ents), MaxOnlineEntities).
			WithHint("split the entities into requests of %d or fewer; for a training set, use fs materialize", MaxOnlineEntities)
	}
	return nil
}

// onlineRefs resolves what a request asks for to feature versions (and
// the run, when it names one).
func (s *Service) onlineRefs(ctx context.Context, req OnlineRequest) ([]featurestore.FeatureRef, *trainer.Run, error) {
	if req.Run == "" {
		if req.Predict {
			return nil, nil, featurestore.Errorf(featurestore.EUSAGE, "a prediction needs the run whose model predicts").
				WithHint("give --model RUN (\"run\" in the request)")
		}
		refs, err := s.currentRefs(ctx, req)
		return refs, nil, err
	}
	if len(req.Features) > 0 || req.FeatureSet != "" {
		return nil, nil, featurestore.Errorf(featurestore.EUSAGE, "give a run or features, not both")
	}
	d, err := s.Run(ctx, req.Run)
	if err != nil {
		return nil, nil, err
	}
	if len(d.Run.Features) == 0 {
		return nil, nil, featurestore.Errorf(featurestore.EINVALID, "run %s pins no feature versions", d.Run.ID.Short()).
			WithHint("a run trained by fs train pins its features; give --features instead")
	}
	if req.Predict && !d.Run.HasModel() {
		return nil, nil, featurestore.Errorf(featurestore.EINVALID, "run %s has no model", d.Run.ID.Short()).
			WithHint("a sweep's runs have models; fs runs show %s lists them", d.Run.ID.Short())
	}
	return d.Run.Features, d.Run, nil
}

// currentRefs resolves features or a feature set to their versions,
// from the cache while the store has not changed since.
func (s *Service) currentRefs(ctx context.Context, req OnlineRequest) ([]featurestore.FeatureRef, error) {
	if len(req.Features) == 0 && req.FeatureSet == "" {
		return nil, featurestore.Errorf(featurestore.EUSAGE, "no features asked for").
			WithHint("give features, a feature set or a run (--features a,b, --feature-set NAME, --run RUN)")
	}
	key := strings.Join(req.Features, ",") + "\x00" + req.FeatureSet
	var refs []featurestore.FeatureRef
	err := s.read(ctx, func(st Store) error {
		c, ok := st.(changeCounter)
		if ok {
			if refs = s.refs.get(key, c.Changes()); refs != nil {
				return nil
			}
		}
		job, err := materialize.Resolve(ctx, st, materialize.Request{Features: req.Features, FeatureSet: req.FeatureSet})
		if err != nil {
			return err
		}
		if refs = job.Outputs(); ok {
			s.refs.put(key, c.Changes(), refs)
		}
		return nil
	})
	return refs, err
}

// changeCounter is a store that says when it changed (badger.Store).
type changeCounter interface{ Changes() uint64 }

// refCache keeps resolved feature versions by request while the store
// does not change: an online request resolves its features without
// reading their versions again.
type refCache struct {
	mu sync.Mutex
	at uint64
	m  map[string][]featurestore.FeatureRef
}

func (c *refCache) get(key string, at uint64) []featurestore.FeatureRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != at {
		return nil
	}
	return c.m[key]
}

func (c *refCache) put(key string, at uint64, refs []featurestore.FeatureRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != at || c.m == nil || len(c.m) > 10_000 {
		c.at, c.m = at, map[string][]featurestore.FeatureRef{}
	}
	c.m[key] = refs
}

// predict adds the run's model's predictions from the rows' values.
func (res *OnlineResult) predict(run *trainer.Run, states []online.State) error {
	n := len(res.Rows)
	t := &featurestore.Table{Rows: n}
	for _, st := range states {
		c := featurestore.NewSeries(st.Name, st.Type, n)
		for r, row := range res.Rows {
			c.Set(r, n, row[st.Name]) // decoded online values: float64, int64, bool, or nil
		}
		t.Series = append(t.Series, c)
	}
	out, err := trainer.Predict(run, t, "prediction")
	if err != nil {
		return err
	}
	for _, c := range out {
		res.Columns = append(res.Columns, c.Name)
		for r, row := range res.Rows {
			row[c.Name] = rawValue(c, r)
		}
	}
	return nil
}

// syncedStates returns each version's state, refusing a version never
// synced.
func syncedStates(ctx context.Context, store online.Store, refs []featurestore.FeatureRef) ([]online.State, error) {
	ids := make([]featurestore.ID, len(refs))
	for i, r := range refs {
		ids[i] = r.Version
	}
	got, err := store.States(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]online.State, len(refs))
	for i, r := range refs {
		st, ok := got[r.Version]
		if !ok {
			return nil, featurestore.Errorf(featurestore.ENOTFOUND, "%s@%s has no online values", r.Name, r.Version.Short()).
				WithHint("fs online sync --features %s@%s computes them", r.Name, r.Version.Short())
		}
		st.Name = r.Name
		out[i] = st
	}
	return out, nil
}

// readOnline reads and decodes the values, grouping the versions by how
// their keys are encoded; with log, it also returns the request and its
// answer to keep.
func readOnline(ctx context.Context, store online.Store, states []online.State, ents []Entity, log bool) (*OnlineResult, *online.LoggedRequest, error) {
	res := newOnlineResult(states, len(ents))
	var logged *online.LoggedRequest
	if log {
		logged = &online.LoggedRequest{Time: time.Now().UTC(), Versions: states, Entities: make([]json.RawMessage, len(ents)),
			Values: make([][][]byte, len(ents))}
		for i, e := range ents {
			logged.Entities[i], _ = json.Marshal(e) // values parsed from JSON or the command line
			logged.Values[i] = make([][]byte, len(states))
		}
	}
	for _, g := range groupStates(states) {
		keys, err := entityKeys(ents, g[0].st)
		if err != nil {
			return nil, nil, err
		}
		gs := make([]online.State, len(g))
		for i, x := range g {
			gs[i] = x.st
		}
		got, err := store.Get(ctx, gs, keys.encoded)
		if err != nil {
			return nil, nil, err
		}
		if err := res.fill(g, keys, got, logged); err != nil {
			return nil, nil, err
		}
	}
	return res, logged, nil
}

func newOnlineResult(states []online.State, n int) *OnlineResult {
	res := &OnlineResult{Rows: make([]map[string]any, n), Nulls: make([]map[string]string, n),
		Versions: map[string]featurestore.ID{}}
	for i := range res.Rows {
		res.Rows[i], res.Nulls[i] = map[string]any{}, map[string]string{}
	}
	seen := map[string]bool{}
	for _, st := range states {
		for _, k := range st.JoinKeys {
			if !seen[k] {
				seen[k] = true
				res.Columns = append(res.Columns, k)
			}
		}
	}
	for _, st := range states {
		res.Columns = append(res.Columns, st.Name)
		res.Versions[st.Name] = st.Version
		res.Features = append(res.Features, OnlineFeatureInfo{Name: st.Name, Version: st.Version, AsOf: st.AsOf, Synced: st.Synced})
		if res.AsOf.IsZero() || st.AsOf.Before(res.AsOf) {
			res.AsOf = st.AsOf
		}
	}
	return res
}

// indexedState is a state and its place in the request.
type indexedState struct {
	st online.State
	i  int
}

// groupStates groups states by join keys and their types.
func groupStates(states []online.State) [][]indexedState {
	var out [][]indexedState
	at := map[string]int{}
	for i, st := range states {
		k := fmt.Sprint(st.JoinKeys, st.KeyTypes)
		j, ok := at[k]
		if !ok {
			j = len(out)
			at[k] = j
			out = append(out, nil)
		}
		out[j] = append(out[j], indexedState{st, i})
	}
	return out
}

// onlineKeys are the entities' keys for one group: typed and encoded.
type onlineKeys struct {
	joinKeys []string
	values   [][]any
	encoded  [][]byte
}

// entityKeys reads each entity's join keys as st types them.
func entityKeys(ents []Entity, st online.State) (*onlineKeys, error) {
	k := &onlineKeys{joinKeys: st.JoinKeys, values: make([][]any, len(ents)), encoded: make([][]byte, len(ents))}
	for r, e := range ents {
		vals := make([]any, len(st.JoinKeys))
		for i, name := range st.JoinKeys {
			v, err := keyValue(e, name, st.KeyTypes[i])
			if err != nil {
				return nil, featurestore.Errorf(featurestore.EINVALID, "entity %d: %v", r+1, err).
					WithHint("%s's join keys: %s", st.Entity, keyHint(st))
			}
			vals[i] = v
		}
		enc, err := online.EncodeKey(st.KeyTypes, vals)
		if err != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "entity %d: %v", r+1, err)
		}
		k.values[r], k.encoded[r] = vals, enc
	}
	return k, nil
}

func keyHint(st online.State) string {
	var parts []string
	for i, k := range st.JoinKeys {
		parts = append(parts, k+" ("+string(st.KeyTypes[i])+")")
	}
	return strings.Join(parts, ", ")
}

// keyValue reads join key name of e as type t, strictly: an integer key
// takes a whole number, a string key a string.
func keyValue(e Entity, name string, t transforms.Type) (any, error) {
	v, ok := e[name]
	if !ok || v == nil {
		return nil, fmt.Errorf("no %s", name)
	}
	switch t {
	case transforms.Int64:
		switch n := v.(type) {
		case json.Number:
			i, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s is %s, not a whole number", name, n)
			}
			return i, nil
		case int64:
			return n, nil
		case int:
			return int64(n), nil
		}
		return nil, fmt.Errorf("%s is %s, not an integer", name, jsonText(v))
	case transforms.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, fmt.Errorf("%s is %s, not a string", name, jsonText(v))
	}
	return nil, fmt.Errorf("%s has type %s, which online keys cannot have", name, t)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%T", v)
	}
	return string(b)
}

// fill decodes one group's values into the result and the log (when
// there is one).
func (res *OnlineResult) fill(g []indexedState, keys *onlineKeys, got [][][]byte, logged *online.LoggedRequest) error {
	for r := range res.Rows {
		for i, name := range keys.joinKeys {
			res.Rows[r][name] = keys.values[r][i]
		}
		for j, x := range g {
			b := got[j][r]
			if b == nil {
				b = x.st.Absent // a key in no source at the sync
			}
			v, err := online.DecodeValue(x.st.Type, b)
			if err != nil {
				return fmt.Errorf("%s@%s: %w", x.st.Name, x.st.Version.Short(), err)
			}
			if logged != nil {
				logged.Values[r][x.i] = b
			}
			res.Rows[r][x.st.Name] = v.Any
			switch {
			case v.Missing:
				res.Nulls[r][x.st.Name] = NotSynced
			case v.Null != featurestore.NotNull:
				res.Nulls[r][x.st.Name] = v.Null.String()
			}
		}
	}
	return nil
}
