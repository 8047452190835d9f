package online

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// State is a feature version's current generation in an online store.
type State struct {
	Version featurestore.ID `json:"version"`
	Name    string          `json:"name"`
	Type    transforms.Type `json:"type"`
	// Entity and JoinKeys (with their types) say how the version's keys
	// are encoded.
	Entity   string            `json:"entity"`
	JoinKeys []string          `json:"join_keys"`
	KeyTypes []transforms.Type `json:"key_types"`
	// Generation numbers the sync whose values are current; Group is the
	// records of that sync the version's values are in (one record per
	// key holds the values of the versions synced together), Slot its
	// place in them.
	Generation uint64    `json:"generation"`
	Group      uint32    `json:"group"`
	Slot       int       `json:"slot"`
	AsOf       time.Time `json:"as_of"`
	Synced     time.Time `json:"synced"`
	Keys       int       `json:"keys"`
	// Snapshots are the digests of the sources the sync read, by source
	// name: a later sync of the same snapshots at the same time has
	// nothing to do.
	Snapshots map[string]string `json:"snapshots"`
	// Files are the sources' files the sync read, by source name: a sync
	// at the same time of sources that only gained files recomputes the
	// keys of the new files alone.
	Files map[string][]featurestore.FileSnapshot `json:"files,omitempty"`
	// Through is the latest event or created time of any row the values
	// were computed from: a sync at a later time of features that neither
	// expire nor slide (no TTL, no window), with no row after AsOf, need
	// only compute the keys of files added since.
	Through time.Time `json:"through,omitzero"`
	// Absent is the encoded value, as of AsOf, of a key in no source (a
	// count's 0; most often a null of no row): what a key the store has
	// no value of gets.
	Absent []byte `json:"absent,omitempty"`
}

// MaxUpdate is the most values one Store.Update should carry (keys times
// versions): what one Badger transaction holds with room to spare.
const MaxUpdate = 20_000

// Change is new values of some keys of a version (in its slot of their
// records, the other slots kept), and its new state.
type Change struct {
	State        State
	Keys, Values [][]byte
}

// Store keeps online values.
type Store interface {
	// States returns the current state of each version synced (absent:
	// never synced); versions nil: every version synced. These states
	// leave out Snapshots and Files (what a request needs is small).
	States(ctx context.Context, versions []featurestore.ID) (map[featurestore.ID]State, error)
	// SyncStates is States with Snapshots and Files: what a sync needs.
	SyncStates(ctx context.Context, versions []featurestore.ID) (map[featurestore.ID]State, error)
	// NewGeneration starts writing the values of a sync.
	NewGeneration(ctx context.Context) (Generation, error)
	// Get reads, for each version, the encoded value of each key (nil for
	// a key without one): one read of a key's record for all the versions
	// it holds.
	Get(ctx context.Context, states []State, keys [][]byte) ([][][]byte, error)
	// Update replaces the values of some keys in the current generations
	// of versions, and their states, all or none (a push, an incremental
	// sync); a version synced again meanwhile is ECONFLICT.
	Update(ctx context.Context, changes []Change) error
	// LogRequest keeps a served request with its answer, for fs online
	// check; Requests returns the last n kept.
	LogRequest(ctx context.Context, r LoggedRequest) error
	Requests(ctx context.Context, n int) ([]LoggedRequest, error)
	Close() error
}

// Generation is a sync's values being written: invisible until Commit,
// which makes them current for every version at once; Abort drops them.
type Generation interface {
	// Put writes one record per key holding the values of several
	// versions (values: per slot, per key) and returns the group number
	// their states name.
	Put(keys [][]byte, values [][][]byte) (group uint32, err error)
	Commit(ctx context.Context, states []State) error
	Abort(ctx context.Context) error
}

// RequestsKept is how long a logged request is kept.
const RequestsKept = 7 * 24 * time.Hour

// LoggedRequest is a served request and its answer.
type LoggedRequest struct {
	Time     time.Time         `json:"time"`
	Versions []State           `json:"versions"`
	Entities []json.RawMessage `json:"entities"` // each entity's join key values as asked, in order
	Values   [][][]byte        `json:"values"`   // per entity, per version: as encoded (nil: missing)
}

// Value is one decoded online value.
type Value struct {
	Null featurestore.NullKind `json:"null,omitempty"`
	// Missing: the key has no value in the store (it was in no source at
	// the sync).
	Missing bool      `json:"missing,omitempty"`
	AsOf    time.Time `json:"as_of"`
	Any     any       `json:"value"` // float64, int64, bool or string; nil when null
}

// EncodeKey encodes an entity key: each value typed as its join key is
// (int64 or string), length-prefixed so that no two keys share bytes.
func EncodeKey(types []transforms.Type, vals []any) ([]byte, error) {
	if len(vals) != len(types) {
		return nil, fmt.Errorf("%d key values for %d join keys", len(vals), len(types))
	}
	var out []byte
	for i, t := range types {
		switch t {
		case transforms.Int64:
			v, ok := vals[i].(int64)
			if !ok {
				return nil, fmt.Errorf("join key %d is an integer, not %T", i+1, vals[i])
			}
			out = binary.BigEndian.AppendUint64(append(out, 'i'), uint64(v))
		case transforms.String:
			v, ok := vals[i].(string)
			if !ok {
				return nil, fmt.Errorf("join key %d is a string, not %T", i+1, vals[i])
			}
			out = binary.BigEndian.AppendUint32(append(out, 's'), uint32(len(v)))
			out = append(out, v...)
		default:
			return nil, fmt.Errorf("join key %d has type %s", i+1, t)
		}
	}
	return out, nil
}

// EncodeValue encodes a value of type t (v nil when null, with its kind).
func EncodeValue(t transforms.Type, null featurestore.NullKind, asOf time.Time, v any) []byte {
	out := binary.BigEndian.AppendUint64([]byte{byte(null)}, uint64(asOf.UnixNano()))
	if null != featurestore.NotNull {
		return out
	}
	switch t {
	case transforms.Float64:
		return binary.BigEndian.AppendUint64(out, math.Float64bits(v.(float64)))
	case transforms.Int64:
		return binary.BigEndian.AppendUint64(out, uint64(v.(int64)))
	case transforms.Bool:
		if v.(bool) {
			return append(out, 1)
		}
		return append(out, 0)
	}
	return append(out, v.(string)...)
}

// DecodeValue decodes a value of type t; nil bytes are a missing value.
func DecodeValue(t transforms.Type, b []byte) (Value, error) {
	if b == nil {
		return Value{Missing: true, Null: featurestore.NoRow}, nil
	}
	if len(b) < 9 {
		return Value{}, fmt.Errorf("an online value of %d bytes", len(b))
	}
	v := Value{Null: featurestore.NullKind(b[0]), AsOf: time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9]))).UTC()}
	if v.Null != featurestore.NotNull {
		return v, nil
	}
	p := b[9:]
	switch {
	case t == transforms.Float64 && len(p) == 8:
		v.Any = math.Float64frombits(binary.BigEndian.Uint64(p))
	case t == transforms.Int64 && len(p) == 8:
		v.Any = int64(binary.BigEndian.Uint64(p))
	case t == transforms.Bool && len(p) == 1:
		v.Any = p[0] == 1
	case t == transforms.String:
		v.Any = string(p)
	default:
		return Value{}, fmt.Errorf("an online value of type %s with %d bytes", t, len(p))
	}
	return v, nil
}

// EncodeRecord packs the values of one key, a slot each (nil: none), as
// a record: per slot, a uvarint of the length plus one (0: none), then
// the bytes.
func EncodeRecord(slots [][]byte) []byte {
	n := 0
	for _, v := range slots {
		n += len(v) + binary.MaxVarintLen64
	}
	out := make([]byte, 0, n)
	for _, v := range slots {
		if v == nil {
			out = binary.AppendUvarint(out, 0)
			continue
		}
		out = binary.AppendUvarint(out, uint64(len(v))+1)
		out = append(out, v...)
	}
	return out
}

// RecordSlot is slot i of a record (nil when the record has none).
func RecordSlot(rec []byte, i int) ([]byte, error) {
	for j := 0; len(rec) > 0; j++ {
		n, w := binary.Uvarint(rec)
		if w <= 0 || uint64(len(rec)-w) < max(n, 1)-1 {
			return nil, fmt.Errorf("a damaged online record")
		}
		rec = rec[w:]
		if n == 0 {
			if j == i {
				return nil, nil
			}
			continue
		}
		if j == i {
			return rec[: n-1 : n-1], nil
		}
		rec = rec[n-1:]
	}
	return nil, nil
}

// SetSlot returns rec with slot i set to v (slots added as needed).
func SetSlot(rec []byte, i int, v []byte) ([]byte, error) {
	var slots [][]byte
	for j := 0; len(rec) > 0 || j <= i; j++ {
		if len(rec) == 0 {
			slots = append(slots, nil)
			continue
		}
		cur, err := RecordSlot(rec, 0)
		if err != nil {
			return nil, err
		}
		slots = append(slots, cur)
		n, w := binary.Uvarint(rec)
		rec = rec[w+int(max(n, 1)-1):]
	}
	slots[i] = v
	return EncodeRecord(slots), nil
}

// ByRecord groups the indices of states whose values share records (the
// same generation and group), in order of first appearance.
func ByRecord(states []State) [][]int {
	type rec struct {
		gen   uint64
		group uint32
	}
	at := map[rec]int{}
	var out [][]int
	for i, st := range states {
		k := rec{st.Generation, st.Group}
		j, ok := at[k]
		if !ok {
			j = len(out)
			at[k] = j
			out = append(out, nil)
		}
		out[j] = append(out[j], i)
	}
	return out
}
