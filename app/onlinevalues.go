package app

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/online"
	"github.com/fs-dev/fs/transforms"
)

// onlineVals are a group's values for its keys at one time, encoded.
type onlineVals struct {
	keys     [][]byte
	keyTypes []transforms.Type
	values   [][][]byte // per feature, per key
	absent   [][]byte   // per feature: the value of a key in no source
	latest   time.Time  // the latest event or created time of the rows read
}

// onlineValues computes a group's values as of asOf, by materialize, for
// every key of its sources (only: of those files); d gives the sources'
// digests (the files hashed once per use case, not once per computation).
func (s *Service) onlineValues(ctx context.Context, g *onlineGroup, asOf time.Time, only map[string]bool, d materialize.Digester) (*onlineVals, error) {
	job, opt, ents, err := s.onlineJob(ctx, g, asOf, d)
	if err != nil {
		return nil, err
	}
	keys, latest, err := job.Keys(ctx, opt, only)
	if err != nil {
		return nil, err
	}
	vals, err := s.computeOnline(ctx, job, opt, ents, keys, asOf)
	if err != nil {
		return nil, err
	}
	vals.latest = latest
	return vals, nil
}

// onlineValuesOf computes a group's values as of asOf for the keys given
// (the join key columns, typed as the sources type them).
func (s *Service) onlineValuesOf(ctx context.Context, g *onlineGroup, asOf time.Time, keys *featurestore.Table, d materialize.Digester) (*onlineVals, error) {
	job, opt, ents, err := s.onlineJob(ctx, g, asOf, d)
	if err != nil {
		return nil, err
	}
	return s.computeOnline(ctx, job, opt, ents, keys, asOf)
}

// onlineJob resolves a group's pinned versions into a materialize job
// whose entity rows are in memory.
func (s *Service) onlineJob(ctx context.Context, g *onlineGroup, asOf time.Time, d materialize.Digester) (*materialize.Job, materialize.Options, *materialize.Entities, error) {
	ents := &materialize.Entities{Digest: "online", TimestampColumn: onlineKeyColumn}
	var job *materialize.Job
	err := s.read(ctx, func(st Store) (err error) {
		job, err = materialize.Resolve(ctx, st, materialize.Request{Features: pinned(g.refs), AsOf: asOf, Now: asOf,
			TimestampColumn: onlineKeyColumn, EntityRows: ents})
		return err
	})
	opt := materialize.Options{Digests: d, Tables: tables(), Allow: s.allowSourceFile, RowNulls: true,
		MemoryLimit: membudget.FromContext(ctx).Spill, SpillDir: badger.TempDir(s.Store.Dir())}
	return job, opt, ents, err
}

// computeOnline computes the job's outputs for the keys at asOf, and for
// one key in no source (the values of absent keys), and encodes them.
func (s *Service) computeOnline(ctx context.Context, job *materialize.Job, opt materialize.Options, ents *materialize.Entities,
	keys *featurestore.Table, asOf time.Time) (*onlineVals, error) {
	out := &onlineVals{}
	for _, k := range keys.Series {
		out.keyTypes = append(out.keyTypes, k.Type)
	}
	if keys.Series == nil { // no file to read: no key, no types
		out.values = make([][][]byte, len(job.Outputs()))
		return out, nil
	}
	rows := withAbsentKey(keys)
	ts := featurestore.NewSeries(onlineKeyColumn, transforms.Timestamp, rows.Rows)
	for i := range ts.I64 {
		ts.I64[i] = asOf.UnixNano()
	}
	ents.Table = &featurestore.Table{Rows: rows.Rows, Series: append(append([]*featurestore.Series{}, rows.Series...), ts)}
	table, ds, err := job.Compute(ctx, opt)
	if err != nil {
		return nil, err
	}
	if out.keys, err = encodeKeys(keys, out.keyTypes); err != nil {
		return nil, err
	}
	for fi, ref := range job.Outputs() {
		col, v := table.Lookup(ref.Name), job.Version(ref.Version)
		vals := make([][]byte, rows.Rows)
		for r := range vals {
			var kind featurestore.NullKind
			if nulls := ds.Nulls[fi].Rows; nulls != nil {
				kind = nulls[r]
			}
			vals[r] = online.EncodeValue(v.Type, kind, asOf, rawValue(col, r))
		}
		out.values = append(out.values, vals[:keys.Rows])
		out.absent = append(out.absent, vals[keys.Rows])
	}
	return out, nil
}

// withAbsentKey is keys and, last, a key none of them is: its first
// column's value changed to one no row has.
func withAbsentKey(keys *featurestore.Table) *featurestore.Table {
	out := &featurestore.Table{Rows: keys.Rows + 1}
	for i, c := range keys.Series {
		d := &featurestore.Series{Name: c.Name, Type: c.Type, Physical: c.Physical}
		switch c.Type {
		case transforms.Int64:
			d.I64 = append(slices.Clip(c.I64), absentInt(c.I64, i == 0))
		default:
			d.Str = append(slices.Clip(c.Str), absentString(c.Str, i == 0))
		}
		out.Series = append(out.Series, d)
	}
	return out
}

// absentInt is a value not in vals (when fresh; else vals[0] or 0).
func absentInt(vals []int64, fresh bool) int64 {
	if !fresh {
		if len(vals) > 0 {
			return vals[0]
		}
		return 0
	}
	seen := make(map[int64]bool, len(vals))
	for _, v := range vals {
		seen[v] = true
	}
	v := int64(math.MinInt64)
	for seen[v] {
		v++
	}
	return v
}

// absentString is a string not in vals (when fresh; else vals[0] or "").
func absentString(vals []string, fresh bool) string {
	if !fresh {
		if len(vals) > 0 {
			return vals[0]
		}
		return ""
	}
	seen := make(map[string]bool, len(vals))
	for _, v := range vals {
		seen[v] = true
	}
	v := "\x00fs:absent"
	for seen[v] {
		v += "\x00"
	}
	return v
}

// encodeKeys encodes each row's join key values.
func encodeKeys(keys *featurestore.Table, types []transforms.Type) ([][]byte, error) {
	out := make([][]byte, keys.Rows)
	vals := make([]any, len(keys.Series))
	for r := range out {
		for i, c := range keys.Series {
			vals[i] = rawValue(c, r)
		}
		var err error
		if out[r], err = online.EncodeKey(types, vals); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// state is the i-th feature's new state after a sync of its values.
func (v *onlineVals) state(i int, ref featurestore.FeatureRef, fv *featurestore.FeatureVersion, asOf time.Time, now sourceState) online.State {
	return online.State{Version: ref.Version, Name: ref.Name, Type: fv.Type, Entity: fv.Source.Entity, JoinKeys: fv.JoinKeys,
		KeyTypes: v.keyTypes, AsOf: asOf, Synced: time.Now().UTC(),
		Snapshots: map[string]string{fv.Source.Name: now.digests[fv.Source.Name]},
		Files:     map[string][]featurestore.FileSnapshot{fv.Source.Name: now.files[fv.Source.Name]},
		Absent:    v.absentOf(i), Through: v.latest}
}

// newKeys counts, for each of olds, the keys its generation has no value
// of: one read of the keys for all of them.
func (v *onlineVals) newKeys(ctx context.Context, store online.Store, olds []online.State) []int {
	out := make([]int, len(olds))
	got, err := store.Get(ctx, olds, v.keys)
	if err != nil {
		return out
	}
	for i := range olds {
		for _, b := range got[i] {
			if b == nil {
				out[i]++
			}
		}
	}
	return out
}

// statesOf is the states of g's versions, in order.
func statesOf(g *onlineGroup, states map[featurestore.ID]online.State) []online.State {
	out := make([]online.State, len(g.refs))
	for i, r := range g.refs {
		out[i] = states[r.Version]
	}
	return out
}

// rawValue is row r of c as online values hold it: int64 for integers.
func rawValue(c *featurestore.Series, r int) any {
	if c.Type == transforms.Int64 && !c.Null(r) {
		return c.I64[r]
	}
	return c.Value(r)
}

// absentOf is the value of a key in no source of the i-th feature (nil
// when the sync read no file).
func (v *onlineVals) absentOf(i int) []byte {
	if i < len(v.absent) {
		return v.absent[i]
	}
	return nil
}
