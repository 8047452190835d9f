package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/online"
	"github.com/fs-dev/fs/transforms"
)

// PushRequest appends rows (a parquet or CSV file) to a source.
type PushRequest struct {
	Source string `json:"source"`
	Input  string `json:"input"`
}

// PushResult says where the rows went and which online values changed.
type PushResult struct {
	Source string `json:"source"`
	File   string `json:"file"`
	Rows   int    `json:"rows"`
	// Keys is the distinct entity keys pushed; Features the synced
	// feature versions whose values for them were computed again, as of
	// AsOf.
	Keys     int                 `json:"keys"`
	AsOf     time.Time           `json:"as_of"`
	Features []OnlineFeatureSync `json:"features"`
}

// Push appends the input's rows to the source as a new file (the source
// must be a directory, a glob or a bucket prefix; the file has the
// schema of the source's files), then recomputes, as of now, the online
// values of the pushed keys for every synced version on the source.
// Errors: EUSAGE, EINVALID (the rows or the source), ENOTFOUND.
func (s *Service) Push(ctx context.Context, req PushRequest) (*PushResult, error) {
	if err := required(need{"source", req.Source, "a registered source's name"}, need{"input", req.Input, "a parquet or CSV file of the source's rows"}); err != nil {
		return nil, refused(err)
	}
	if err := s.checkPath("input", req.Input); err != nil {
		return nil, err
	}
	src, cols, err := s.pushSource(ctx, req.Source)
	if err != nil {
		return nil, err
	}
	ents, err := materialize.ReadRows(ctx, req.Input, src.TimestampField, cols.keys, cols.types)
	if err != nil {
		return nil, err
	}
	file, err := s.appendRows(ctx, src, cols.files[0], ents.Table)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Input, err)
	}
	res := &PushResult{Source: src.Name, File: file, Rows: ents.Table.Rows, AsOf: time.Now().UTC().Truncate(time.Microsecond)}
	if err := s.pushOnline(ctx, src, file, res); err != nil {
		return res, fmt.Errorf("the rows are in %s, but the online values are not updated: %w", file, err)
	}
	return res, nil
}

// sourceColumns are the types of a source's join keys and columns, and
// its files (the first: the schema of any new one).
type sourceColumns struct {
	keys, types map[string]transforms.Type
	files       []string
}

// pushSource finds a source rows can be appended to, and its columns.
func (s *Service) pushSource(ctx context.Context, name string) (featurestore.Source, sourceColumns, error) {
	var src featurestore.Source
	cols := sourceColumns{keys: map[string]transforms.Type{}, types: map[string]transforms.Type{}}
	err := s.read(ctx, func(st Store) error {
		sources, err := st.Sources(ctx)
		if err != nil {
			return err
		}
		var names []string
		for _, x := range sources {
			if names = append(names, x.Name); x.Name == name {
				src = x
			}
		}
		if src.Name == "" {
			return featurestore.Errorf(featurestore.ENOTFOUND, "no source %s", name).WithHint("registered sources: %s", strings.Join(names, ", "))
		}
		return s.columnTypes(ctx, st, src, &cols)
	})
	if err != nil {
		return src, cols, err
	}
	if _, err := pushDir(src); err != nil {
		return src, cols, err
	}
	return src, cols, nil
}

// columnTypes fills cols with src's files and the types of its join keys
// and columns.
func (s *Service) columnTypes(ctx context.Context, st Store, src featurestore.Source, cols *sourceColumns) error {
	ents, err := st.Entities(ctx)
	if err != nil {
		return err
	}
	files, _, err := sourceFiles(ctx, src)
	if err != nil || len(files) == 0 {
		return featurestore.Errorf(featurestore.EINVALID, "source %s has no files to take the schema from: %v", src.Name, err).
			WithHint("put a first file in the source; fs push appends to it")
	}
	schema, err := parquet.FileSchema(files[0])
	if err != nil {
		return err
	}
	cols.files = files
	for _, c := range schema {
		cols.types[c.Name] = c.Type
	}
	for _, e := range ents {
		if e.Name != src.Entity {
			continue
		}
		for _, k := range e.JoinKeys {
			cols.keys[k] = cols.types[k]
		}
	}
	return nil
}

// pushDir is the directory (or bucket prefix) a source's new files go
// to, refusing a source that is one file or a table.
func pushDir(src featurestore.Source) (string, error) {
	p := src.Path
	switch {
	case featurestore.IsTable(p):
		return "", featurestore.Errorf(featurestore.EINVALID, "source %s is a table (%s): fs push appends files, not table commits", src.Name, p).
			WithHint("append to the table with its own writer (pyiceberg, Spark); fs online sync then reads the new snapshot")
	case strings.ContainsAny(p, "*?["):
		return path.Dir(filepath.ToSlash(p)), nil
	case strings.HasSuffix(p, "/"):
		return strings.TrimSuffix(p, "/"), nil
	}
	if _, ok := blob.For(p); !ok {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p, nil
		}
	}
	return "", featurestore.Errorf(featurestore.EINVALID, "source %s is one file (%s): fs push adds a file beside it", src.Name, p).
		WithHint("make the source's path a directory or a glob (data/stats/*.parquet) and register it again")
}

// appendRows writes t as a new file of src with the schema of its file
// like, whole or not at all, and returns its path as the source lists it.
func (s *Service) appendRows(ctx context.Context, src featurestore.Source, like string, t *featurestore.Table) (string, error) {
	dir, err := pushDir(src)
	if err != nil {
		return "", err
	}
	var b [4]byte
	rand.Read(b[:])
	name := fmt.Sprintf("push-%s-%s.parquet", time.Now().UTC().Format("20060102T150405.000000Z"), hex.EncodeToString(b[:]))
	target := dir + "/" + name
	if ok, _ := path.Match(path.Base(filepath.ToSlash(src.Path)), name); strings.ContainsAny(src.Path, "*?[") && !ok {
		return "", featurestore.Errorf(featurestore.EINVALID, "source %s's glob %s would not list a pushed file (%s)", src.Name, src.Path, name).
			WithHint("make the glob match *.parquet")
	}
	// The file has like's parquet schema, so the source's files still
	// agree (parquet.FilesSchema).
	return target, materialize.WriteLike(ctx, target, like, t)
}

// pushOnline recomputes the pushed keys of the versions on src that have
// online values.
func (s *Service) pushOnline(ctx context.Context, src featurestore.Source, file string, res *PushResult) error {
	store, release, err := s.onlineStore(ctx)
	if err != nil {
		return err
	}
	defer release()
	all, err := store.SyncStates(ctx, nil)
	if err != nil {
		return err
	}
	var refs []featurestore.FeatureRef
	prev := map[featurestore.ID]online.State{}
	for id, st := range all {
		if _, on := st.Snapshots[src.Name]; on {
			refs, prev[id] = append(refs, featurestore.FeatureRef{Name: st.Name, Version: id}), st
		}
	}
	if len(refs) == 0 {
		return nil
	}
	groups, err := s.onlineGroups(ctx, pinned(refs), "")
	if err != nil {
		return err
	}
	var changes []online.Change
	digests := s.digestCache()
	defer digests.Save()
	for _, g := range groups {
		vals, err := s.onlineValues(ctx, g, res.AsOf, map[string]bool{file: true}, digests)
		if err != nil {
			return err
		}
		res.Keys = len(vals.keys)
		added := vals.newKeys(ctx, store, statesOf(g, prev))
		for i, ref := range g.refs {
			st := prev[ref.Version]
			st.Keys += added[i]
			changes = append(changes, online.Change{State: st, Keys: vals.keys, Values: vals.values[i]})
			res.Features = append(res.Features, OnlineFeatureSync{Name: ref.Name, Version: ref.Version, Status: SyncAdded, Keys: st.Keys, Updated: len(vals.keys)})
		}
	}
	return updateInParts(ctx, store, changes)
}

// updateInParts applies changes in one update when they carry at most
// online.MaxUpdate values, else a version and online.MaxUpdate keys at a
// time: a large push is updated in parts, each whole (each value is as of
// the push, or as it was).
func updateInParts(ctx context.Context, store online.Store, changes []online.Change) error {
	n := 0
	for _, c := range changes {
		n += len(c.Keys)
	}
	if n <= online.MaxUpdate {
		return store.Update(ctx, changes)
	}
	for _, c := range changes {
		for lo := 0; lo < len(c.Keys); lo += online.MaxUpdate {
			hi := min(lo+online.MaxUpdate, len(c.Keys))
			part := online.Change{State: c.State, Keys: c.Keys[lo:hi], Values: c.Values[lo:hi]}
			if err := store.Update(ctx, []online.Change{part}); err != nil {
				return err
			}
		}
	}
	return nil
}
