package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/online"
)

// OnlineCheckRequest asks to replay the last logged online requests.
type OnlineCheckRequest struct {
	Last int `json:"last,omitempty"` // default 100
}

// OnlineCheckResult is what the replay found: every value served that
// materialize, as of the value's time, gives otherwise.
type OnlineCheckResult struct {
	Requests    int                `json:"requests"`
	Values      int                `json:"values"`
	Differences []OnlineDifference `json:"differences"`
}

// OnlineDifference is one served value that is not what materialize
// gives.
type OnlineDifference struct {
	Feature     string          `json:"feature"`
	Version     featurestore.ID `json:"version"`
	Entity      json.RawMessage `json:"entity"`
	AsOf        time.Time       `json:"as_of"`
	Online      any             `json:"online"`
	OnlineNull  string          `json:"online_null,omitempty"`
	Offline     any             `json:"offline"`
	OfflineNull string          `json:"offline_null,omitempty"`
}

// OnlineCheck replays the last logged online requests (fs serve
// --log-requests) through materialize: each value served must be, bit
// for bit, what materialize gives for its entity as of its time.
func (s *Service) OnlineCheck(ctx context.Context, req OnlineCheckRequest) (*OnlineCheckResult, error) {
	ctx = blob.WithPins(ctx) // one version of each object for the digests and the values
	if req.Last <= 0 {
		req.Last = 100
	}
	store, release, err := s.onlineStore(ctx)
	if err != nil {
		return nil, err
	}
	logged, err := store.Requests(ctx, req.Last)
	release()
	if err != nil {
		return nil, err
	}
	if len(logged) == 0 {
		return nil, featurestore.Errorf(featurestore.ENOTFOUND, "no online requests are logged").
			WithHint("start fs serve with --log-requests: it keeps each request it answers for %d days", int(online.RequestsKept.Hours()/24))
	}
	res := &OnlineCheckResult{Requests: len(logged), Differences: []OnlineDifference{}}
	digests := s.digestCache()
	for _, b := range replayBatches(logged) {
		if err := s.replay(ctx, b, res, digests); err != nil {
			return nil, err
		}
	}
	digests.Save()
	return res, nil
}

// replayBatch is the logged values of one version as of one time.
type replayBatch struct {
	st       online.State
	asOf     time.Time
	entities []json.RawMessage
	values   [][]byte
}

// replayBatches groups the logged values by version and time.
func replayBatches(logged []online.LoggedRequest) []*replayBatch {
	at := map[string]*replayBatch{}
	var out []*replayBatch
	for _, r := range logged {
		for e, vals := range r.Values {
			for j, v := range vals {
				st := r.Versions[j]
				asOf := st.AsOf
				if got, err := online.DecodeValue(st.Type, v); err == nil && !got.Missing {
					asOf = got.AsOf
				}
				k := st.Version.String() + asOf.String()
				b := at[k]
				if b == nil {
					b = &replayBatch{st: st, asOf: asOf}
					at[k] = b
					out = append(out, b)
				}
				b.entities, b.values = append(b.entities, r.Entities[e]), append(b.values, v)
			}
		}
	}
	return out
}

// replay computes one batch by materialize and compares.
func (s *Service) replay(ctx context.Context, b *replayBatch, res *OnlineCheckResult, d materialize.Digester) error {
	keys, err := replayKeys(b)
	if err != nil {
		return err
	}
	g := &onlineGroup{refs: []featurestore.FeatureRef{{Name: b.st.Name, Version: b.st.Version}}}
	vals, err := s.onlineValuesOf(ctx, g, b.asOf, keys, d)
	if err != nil {
		return fmt.Errorf("replay %s@%s: %w", b.st.Name, b.st.Version.Short(), err)
	}
	for i, served := range b.values {
		res.Values++
		want := vals.values[0][i]
		if !bytes.Equal(served, want) {
			res.Differences = append(res.Differences, difference(b, i, served, want))
		}
	}
	return nil
}

// replayKeys types the batch's entities' keys as the state's join keys.
func replayKeys(b *replayBatch) (*featurestore.Table, error) {
	t := &featurestore.Table{Rows: len(b.entities)}
	for i, k := range b.st.JoinKeys {
		t.Series = append(t.Series, featurestore.NewSeries(k, b.st.KeyTypes[i], t.Rows))
	}
	for r, raw := range b.entities {
		var e Entity
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("a logged entity: %w", err)
		}
		for i, k := range b.st.JoinKeys {
			v, err := keyValue(e, k, b.st.KeyTypes[i])
			if err != nil {
				return nil, fmt.Errorf("a logged entity: %w", err)
			}
			t.Series[i].Set(r, t.Rows, v)
		}
	}
	return t, nil
}

func difference(b *replayBatch, i int, served, want []byte) OnlineDifference {
	on, _ := online.DecodeValue(b.st.Type, served)
	off, _ := online.DecodeValue(b.st.Type, want)
	return OnlineDifference{Feature: b.st.Name, Version: b.st.Version, Entity: slices.Clone(b.entities[i]), AsOf: b.asOf,
		Online: on.Any, OnlineNull: on.Null.String(), Offline: off.Any, OfflineNull: off.Null.String()}
}
