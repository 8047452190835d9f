// Package onlinetest is the contract every online.Store keeps, as a test
// each adapter runs against its own store.
package onlinetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/online"
	"github.com/fs-dev/fs/transforms"
)

// Opener opens the store under test; reopen closes one and opens it
// again as a new process would (after a kill).
type Opener struct {
	Open   func(t *testing.T) online.Store
	Reopen func(t *testing.T, s online.Store) online.Store
}

func id(b byte) featurestore.ID { return featurestore.ID{b} }

func key(i int64) []byte {
	k, _ := online.EncodeKey([]transforms.Type{transforms.Int64}, []any{i})
	return k
}

func value(f float64) []byte {
	return online.EncodeValue(transforms.Float64, featurestore.NotNull, time.Unix(0, 0), f)
}

func state(v featurestore.ID) online.State {
	return online.State{Version: v, Name: fmt.Sprint("f", v[0]), Type: transforms.Float64, JoinKeys: []string{"k"},
		KeyTypes: []transforms.Type{transforms.Int64}, AsOf: time.Unix(100, 0).UTC(), Keys: 2}
}

// sync writes a generation of versions with values base+key and commits
// it unless kill.
func sync(t *testing.T, s online.Store, base float64, kill bool, versions ...featurestore.ID) {
	t.Helper()
	ctx := context.Background()
	g, err := s.NewGeneration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var states []online.State
	var values [][][]byte
	for i, v := range versions { // one group: a record per key holds every version's value
		values = append(values, [][]byte{value(base + 1 + float64(i)*100), value(base + 2 + float64(i)*100)})
		states = append(states, state(v))
		states[i].Slot = i
	}
	group, err := g.Put([][]byte{key(1), key(2)}, values)
	if err != nil {
		t.Fatal(err)
	}
	for i := range states {
		states[i].Group = group
	}
	if kill {
		return
	}
	if err := g.Commit(ctx, states); err != nil {
		t.Fatal(err)
	}
}

// values reads keys 1, 2 and 3 of v (after key 4, which no sync writes).
func values(t *testing.T, s online.Store, v featurestore.ID) []string {
	t.Helper()
	ctx := context.Background()
	sts, err := s.States(ctx, []featurestore.ID{v})
	if err != nil {
		t.Fatal(err)
	}
	st, ok := sts[v]
	if !ok {
		return nil
	}
	got, err := s.Get(ctx, []online.State{st}, [][]byte{key(4), key(1), key(2), key(3)})
	if err != nil {
		t.Fatal(err)
	}
	if got[0][0] != nil {
		t.Fatalf("a key never written has a value")
	}
	var out []string
	for _, b := range got[0][1:] {
		if b == nil {
			out = append(out, "-")
			continue
		}
		d, err := online.DecodeValue(transforms.Float64, b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(d.Any))
	}
	return out
}

func want(t *testing.T, got []string, w string) {
	t.Helper()
	if fmt.Sprint(got) != w {
		t.Fatalf("values %v, want %s", got, w)
	}
}

// Run checks the contract: generations invisible until committed, for
// every version at once; a killed sync leaves the last complete one;
// updates in place, refused when a sync came between; requests logged.
func Run(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	if got, err := s.States(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("a new store: %v, %v", got, err)
	}
	sync(t, s, 10, false, id(1), id(2))
	want(t, values(t, s, id(1)), "[11 12 -]")
	want(t, values(t, s, id(2)), "[111 112 -]")

	// A sync killed midway: its values never show, in this process or
	// the next.
	sync(t, s, 20, true, id(1), id(2))
	want(t, values(t, s, id(1)), "[11 12 -]")
	s = o.Reopen(t, s)
	want(t, values(t, s, id(1)), "[11 12 -]")
	sync(t, s, 30, false, id(1))
	want(t, values(t, s, id(1)), "[31 32 -]")
	want(t, values(t, s, id(2)), "[111 112 -]")
	all, err := s.States(ctx, nil)
	if err != nil || len(all) != 2 || all[id(1)].Generation == all[id(2)].Generation {
		t.Fatalf("every state: %+v, %v", all, err)
	}

	// Updates in place: one version's slot of a shared record, the other
	// kept; a new key; then one made stale by a sync.
	st2 := all[id(2)]
	err = s.Update(ctx, []online.Change{{State: st2, Keys: [][]byte{key(2), key(3)}, Values: [][]byte{value(122), value(133)}}})
	if err != nil {
		t.Fatal(err)
	}
	want(t, values(t, s, id(2)), "[111 122 133]")
	st := all[id(1)]
	st.Keys = 3
	if err := s.Update(ctx, []online.Change{{State: st, Keys: [][]byte{key(3)}, Values: [][]byte{value(33)}}}); err != nil {
		t.Fatal(err)
	}
	want(t, values(t, s, id(1)), "[31 32 33]")
	sync(t, s, 50, false, id(2), id(3)) // a generation another version (id 1) does not share
	want(t, values(t, s, id(1)), "[31 32 33]")
	want(t, values(t, s, id(2)), "[51 52 -]")
	want(t, values(t, s, id(3)), "[151 152 -]")
	sync(t, s, 40, false, id(1))
	err = s.Update(ctx, []online.Change{{State: st, Keys: [][]byte{key(3)}, Values: [][]byte{value(99)}}})
	if featurestore.ErrorCode(err) != featurestore.ECONFLICT {
		t.Fatalf("a stale update: %v", err)
	}
	want(t, values(t, s, id(1)), "[41 42 -]")

	// Requests, newest first.
	for i := range 3 {
		r := online.LoggedRequest{Time: time.Now().UTC(), Versions: []online.State{st},
			Entities: []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"k":%d}`, i))}, Values: [][][]byte{{value(float64(i))}}}
		if err := s.LogRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	reqs, err := s.Requests(ctx, 2)
	if err != nil || len(reqs) != 2 || string(reqs[0].Entities[0]) != `{"k":2}` || !bytes.Equal(reqs[1].Values[0][0], value(1)) {
		t.Fatalf("requests: %+v, %v", reqs, err)
	}
	s.Close()
}
