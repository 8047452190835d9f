package materialize

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// Version is the feature version id of the job's (an output or one it
// reads), nil when it has none of that id.
func (j *Job) Version(id featurestore.ID) *featurestore.FeatureVersion { return j.byID[id] }

// Keys are the distinct entity keys of the job's sources (the join key
// columns, typed as the sources type them; keys with a null left out), in
// order of first appearance: the entity rows of an online sync; and the
// latest event or created time of any row read (zero: none). Every
// output must have the same join keys. only, when set, restricts the
// files read to those it holds (the files added since a sync).
func (j *Job) Keys(ctx context.Context, opt Options, only map[string]bool) (*featurestore.Table, time.Time, error) {
	j.opt = opt
	var joinKeys []string
	var latest int64 = math.MinInt64
	out := &featurestore.Table{}
	seen := &seenKeys{ints: map[int64]struct{}{}, keys: map[keyOf]struct{}{}}
	for _, g := range j.groups {
		if joinKeys == nil {
			joinKeys = g.joinKeys
		} else if !slices.Equal(joinKeys, g.joinKeys) {
			return nil, time.Time{}, featurestore.Errorf(featurestore.EINVALID, "the features have different join keys (%s and %s)",
				strings.Join(joinKeys, ", "), strings.Join(g.joinKeys, ", ")).WithHint("sync the features of each entity separately")
		}
		files, _, err := j.sourceFiles(ctx, g.src)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("source %s: %w", g.src.Name, err)
		}
		if only != nil {
			files = slices.DeleteFunc(files, func(f string) bool { return !only[f] })
		}
		if len(files) == 0 {
			continue
		}
		if err := readKeys(ctx, g, files, joinKeys, out, seen, &latest); err != nil {
			return nil, time.Time{}, fmt.Errorf("source %s: %w", g.src.Name, err)
		}
	}
	if latest == math.MinInt64 {
		return out, time.Time{}, nil
	}
	return out, time.Unix(0, latest).UTC(), nil
}

// readKeys reads the join keys and times of a group's files: the new
// keys into out, the latest time into latest.
func readKeys(ctx context.Context, g *group, files, joinKeys []string, out *featurestore.Table, seen *seenKeys, latest *int64) error {
	times := []string{g.src.TimestampField}
	if g.src.CreatedTimestampField != "" {
		times = append(times, g.src.CreatedTimestampField)
	}
	t, _, err := parquet.ReadTable(ctx, files, append(slices.Clone(joinKeys), times...))
	if err != nil {
		return err
	}
	for _, name := range times {
		c := t.Lookup(name)
		for r, v := range c.I64 {
			if v > *latest && !c.Null(r) {
				*latest = v
			}
		}
	}
	return appendDistinct(out, t, joinKeys, seen)
}

// seenKeys is the keys appended: one integer key by value, others as
// keyFuncFor gives them.
type seenKeys struct {
	ints map[int64]struct{}
	keys map[keyOf]struct{}
}

// add reports whether the key is new, and notes it.
func (s *seenKeys) add(ik int64, sk string, oneInt bool) bool {
	if oneInt {
		if _, ok := s.ints[ik]; ok {
			return false
		}
		s.ints[ik] = struct{}{}
		return true
	}
	if _, ok := s.keys[keyOf{ik, sk}]; ok {
		return false
	}
	s.keys[keyOf{ik, sk}] = struct{}{}
	return true
}

// appendDistinct appends t's rows with keys not seen yet to out (whose
// columns it makes on the first call).
func appendDistinct(out, t *featurestore.Table, joinKeys []string, seen *seenKeys) error {
	var cols []*featurestore.Series
	for _, k := range joinKeys {
		cols = append(cols, t.Lookup(k))
	}
	if out.Series == nil {
		for _, c := range cols {
			out.Series = append(out.Series, &featurestore.Series{Name: c.Name, Type: c.Type, Physical: c.Physical})
		}
	}
	for i, c := range cols {
		if c.Type != out.Series[i].Type {
			return featurestore.Errorf(featurestore.EINVALID, "join key %s is %s here and %s in another source", c.Name, c.Type, out.Series[i].Type)
		}
	}
	key := keyFuncFor(cols)
	oneInt := len(cols) == 1 && cols[0].Type == transforms.Int64
	for r := range t.Rows {
		ik, sk, ok := key(r)
		if !ok || !seen.add(ik, sk, oneInt) {
			continue
		}
		for i, c := range cols {
			d := out.Series[i]
			if c.Type == transforms.Int64 {
				d.I64 = append(d.I64, c.I64[r])
			} else {
				d.Str = append(d.Str, c.Str[r])
			}
		}
		out.Rows++
	}
	return nil
}

// keyOf is a key as keyFuncFor gives it.
type keyOf struct {
	i int64
	s string
}
