package badger

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/transforms"
)

// headRecord is FeatureHead plus the sequence number of its next history
// entry.
type headRecord struct {
	featurestore.FeatureHead
	Seq uint64 `json:"seq"`
}

type setHeadRecord struct {
	featurestore.FeatureSetHead
	Seq uint64 `json:"seq"`
}

// sourceHeadRecord is SourceHead plus the sequence number of its next
// history entry.
type sourceHeadRecord struct {
	featurestore.SourceHead
	Seq uint64 `json:"seq"`
}

// Apply records a plan. Versions are content-addressed and immutable, so
// new ones are written first, in as many transactions as their size needs;
// then one transaction moves every name (heads, history, names, sources,
// entities). Until that commits, no name points at anything new: a failure
// or a kill at any point leaves the registry as it was, and the versions
// already written are reused by the next registration.
func (s *Store) Apply(ctx context.Context, p *featurestore.Plan) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var blobs []blob
	for _, ch := range p.Sources {
		blobs = append(blobs, blob{"srcv/" + ch.ID.String(), ch.Version})
	}
	for _, ch := range p.Features {
		blobs = append(blobs, blob{"fv/" + ch.ID.String(), ch.Version})
	}
	for _, ch := range p.FeatureSets {
		blobs = append(blobs, blob{"sv/" + ch.ID.String(), ch.Version})
	}
	if err := s.writeBlobs(ctx, blobs); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(func(txn *badgerdb.Txn) error {
		for _, e := range p.Entities {
			if err := setJSON(txn, "ent/"+e.Name, e); err != nil {
				return err
			}
		}
		for _, ch := range p.Sources {
			if err := applySource(txn, s.mapSource(ch.Source, s.storedPath), ch, p); err != nil {
				return fmt.Errorf("record source %s: %w", ch.Name, err)
			}
		}
		for _, ch := range p.Features {
			if err := applyFeature(txn, ch, p); err != nil {
				return fmt.Errorf("record feature %s: %w", ch.Name, err)
			}
		}
		for _, ch := range p.FeatureSets {
			if err := applySet(txn, ch, p); err != nil {
				return fmt.Errorf("record feature set %s: %w", ch.Name, err)
			}
		}
		return nil
	})
	if errors.Is(err, badgerdb.ErrTxnTooBig) {
		return featurestore.Errorf(featurestore.EINVALID, "%d features and %d feature sets are more than one registration can record at once "+
			"(every name moves in one transaction, which holds about %d features)", len(p.Features), len(p.FeatureSets), MaxFeaturesPerRegistration).
			WithHint("split the definitions into files of fewer features and register them one by one")
	}
	return err
}

type blob struct {
	key string
	val any
}

// writeBlobs writes the values whose keys are not there yet, committing
// whenever a transaction is full.
func (s *Store) writeBlobs(ctx context.Context, blobs []blob) error {
	for len(blobs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		done := 0
		err := s.update(func(txn *badgerdb.Txn) error {
			done = 0
			for _, b := range blobs {
				have, err := exists(txn, b.key)
				if err != nil {
					return err
				}
				if !have {
					val := b.val
					if v, ok := val.(*featurestore.FeatureVersion); ok {
						val = s.mapVersion(*v, s.storedPath)
					}
					err := setJSON(txn, b.key, val)
					if errors.Is(err, badgerdb.ErrTxnTooBig) && done > 0 {
						return nil // commit what fits; the rest goes next
					}
					if err != nil {
						return err
					}
				}
				done++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("write versions: %w", err)
		}
		blobs = blobs[done:]
	}
	return nil
}

// applySource records a source as declared (src/) and moves its name to
// its version.
func applySource(txn *badgerdb.Txn, src featurestore.Source, ch featurestore.SourceChange, p *featurestore.Plan) error {
	if err := setJSON(txn, "src/"+src.Name, src); err != nil {
		return err
	}
	return moveName(txn, "srch/", "srchi/", ch.Name, ch.ID, p)
}

// nameHead is the stored head of a feature set or source name, as
// setHeadRecord and sourceHeadRecord read it.
type nameHead struct {
	Name     string          `json:"name"`
	Current  featurestore.ID `json:"current"`
	Versions int             `json:"versions"`
	Updated  time.Time       `json:"updated"`
	Seq      uint64          `json:"seq"`
}

// moveName points the name under headPrefix at id, adding a history
// entry under histPrefix, unless it points there already.
func moveName(txn *badgerdb.Txn, headPrefix, histPrefix, name string, id featurestore.ID, p *featurestore.Plan) error {
	var head nameHead
	err := getJSON(txn, headPrefix+name, &head)
	switch {
	case featurestore.ErrorCode(err) == featurestore.ENOTFOUND:
		head = nameHead{Name: name}
	case err != nil:
		return err
	}
	if head.Current == id {
		return nil
	}
	head.Versions++
	entry := featurestore.HistoryEntry{Name: name, Version: id, Registered: p.Time, By: p.By}
	if err := setJSON(txn, seqKey(histPrefix, name, head.Seq), entry); err != nil {
		return err
	}
	head.Seq++
	head.Current = id
	head.Updated = p.Time
	return setJSON(txn, headPrefix+name, head)
}

func applyFeature(txn *badgerdb.Txn, ch featurestore.FeatureChange, p *featurestore.Plan) error {
	if sv := ch.Version.SourceVersion; !sv.IsZero() {
		if err := setEdge(txn, lineage.ID(lineage.Source, sv.String()), lineage.ID(lineage.FeatureVersion, ch.ID.String())); err != nil {
			return err
		}
	}
	for _, d := range ch.Version.DependsOn {
		if err := setEdge(txn, lineage.ID(lineage.FeatureVersion, d.Version.String()), lineage.ID(lineage.FeatureVersion, ch.ID.String())); err != nil {
			return err
		}
	}
	// Whether this name has pointed at this version before: checked before
	// the name index is written (no iterators inside a write transaction:
	// Badger sorts its pending writes for each one).
	nameKey := "fvn/" + ch.ID.String() + "/" + ch.Name
	hadBefore, err := exists(txn, nameKey)
	if err != nil {
		return err
	}
	if err := txn.Set([]byte(nameKey), nil); err != nil {
		return err
	}
	var head headRecord
	err = getJSON(txn, "fh/"+ch.Name, &head)
	switch {
	case featurestore.ErrorCode(err) == featurestore.ENOTFOUND:
		head = headRecord{FeatureHead: featurestore.FeatureHead{Name: ch.Name}}
	case err != nil:
		return err
	}
	moved := head.Current != ch.ID
	if moved {
		if !hadBefore {
			head.Versions++
		}
		entry := featurestore.HistoryEntry{Name: ch.Name, Version: ch.ID, Registered: p.Time, By: p.By}
		if err := setJSON(txn, seqKey("fhi/", ch.Name, head.Seq), entry); err != nil {
			return err
		}
		head.Seq++
		head.Current = ch.ID
		head.Updated = p.Time
	}
	head.Source = ch.Version.Source.Name
	head.Type = ch.Version.Type
	head.Metadata = ch.Metadata
	return setJSON(txn, "fh/"+ch.Name, head)
}

func applySet(txn *badgerdb.Txn, ch featurestore.FeatureSetChange, p *featurestore.Plan) error {
	for _, m := range ch.Version.Members {
		if err := setEdge(txn, lineage.ID(lineage.FeatureVersion, m.Version.String()), lineage.ID(lineage.FeatureSet, ch.ID.String())); err != nil {
			return err
		}
	}
	return moveName(txn, "sh/", "shi/", ch.Name, ch.ID, p)
}

// suggestName is "did you mean X?" for the name under prefix closest to
// name, or fallback.
func (s *Store) suggestName(prefix, name, fallback string) string {
	var names []string
	s.view(func(txn *badgerdb.Txn) error {
		return scan(txn, prefix, false, true, func(key, _ []byte) error {
			names = append(names, strings.TrimPrefix(string(key), prefix))
			return nil
		})
	})
	if hint := transforms.Suggest(name, names); hint != "" {
		return hint
	}
	return fallback
}

func notFound(what, name, hint string) error {
	return featurestore.Errorf(featurestore.ENOTFOUND, "%s %s not found", what, name).WithHint("%s", hint)
}

// FeatureHead implements featurestore.Registry.
func (s *Store) FeatureHead(ctx context.Context, name string) (*featurestore.FeatureHead, error) {
	var h headRecord
	err := s.view(func(txn *badgerdb.Txn) error { return getJSON(txn, "fh/"+name, &h) })
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, notFound("feature", name, s.suggestName("fh/", name, "fs features list shows the registered features"))
	}
	if err != nil {
		return nil, fmt.Errorf("read feature %s: %w", name, err)
	}
	return &h.FeatureHead, nil
}

// FeatureHeads implements featurestore.Registry.
func (s *Store) FeatureHeads(ctx context.Context) ([]featurestore.FeatureHead, error) {
	heads, err := list[headRecord](s, "fh/", false)
	if err != nil {
		return nil, fmt.Errorf("list features: %w", err)
	}
	out := make([]featurestore.FeatureHead, len(heads))
	for i, h := range heads {
		out[i] = h.FeatureHead
	}
	return out, nil
}

func (s *Store) history(prefix, what, name string) ([]featurestore.HistoryEntry, error) {
	out, err := list[featurestore.HistoryEntry](s, prefix+name+"\x00", true)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", name, err)
	}
	if len(out) == 0 {
		head := map[string]string{"fhi/": "fh/", "shi/": "sh/", "srchi/": "srch/"}[prefix]
		return nil, notFound(what, name, s.suggestName(head, name, "fs features list shows the registered features"))
	}
	return out, nil
}

// FeatureHistory implements featurestore.Registry.
func (s *Store) FeatureHistory(ctx context.Context, name string) ([]featurestore.HistoryEntry, error) {
	return s.history("fhi/", "feature", name)
}

// FeatureVersion implements featurestore.Registry.
func (s *Store) FeatureVersion(ctx context.Context, id featurestore.ID) (*featurestore.FeatureVersion, error) {
	var v featurestore.FeatureVersion
	err := s.view(func(txn *badgerdb.Txn) error { return getJSON(txn, "fv/"+id.String(), &v) })
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, notFound("feature version", id.Short(), "fs features show NAME lists a feature's versions")
	}
	if err != nil {
		return nil, fmt.Errorf("read version %s: %w", id.Short(), err)
	}
	v = s.mapVersion(v, s.loadedPath)
	return &v, nil
}

// ResolveFeatureVersion implements featurestore.Registry.
func (s *Store) ResolveFeatureVersion(ctx context.Context, prefix string) (featurestore.ID, error) {
	return s.resolve("fv/", "feature version", prefix)
}

// resolve finds the one key under keyPrefix whose id starts with prefix.
func (s *Store) resolve(keyPrefix, what, prefix string) (featurestore.ID, error) {
	if !featurestore.IsIDPrefix(prefix) {
		return featurestore.ID{}, featurestore.Errorf(featurestore.EINVALID, "%q is not a %s id (at least 4 hex characters)", prefix, what)
	}
	var found []string
	err := s.view(func(txn *badgerdb.Txn) error {
		return scan(txn, keyPrefix+strings.ToLower(prefix), false, true, func(key, _ []byte) error {
			found = append(found, strings.TrimPrefix(string(key), keyPrefix))
			if len(found) > 1 {
				return errStop
			}
			return nil
		})
	})
	if err != nil && err != errStop {
		return featurestore.ID{}, err
	}
	switch len(found) {
	case 0:
		return featurestore.ID{}, notFound(what, prefix, "")
	case 1:
		return featurestore.ParseID(found[0])
	}
	return featurestore.ID{}, featurestore.Errorf(featurestore.EINVALID, "%s id prefix %s is ambiguous", what, prefix).
		WithHint("give more characters of the id")
}

type stopError struct{}

func (stopError) Error() string { return "stop" }

var errStop error = stopError{}

// VersionNames implements featurestore.Registry.
func (s *Store) VersionNames(ctx context.Context, id featurestore.ID) ([]string, error) {
	var out []string
	prefix := "fvn/" + id.String() + "/"
	err := s.view(func(txn *badgerdb.Txn) error {
		return scan(txn, prefix, false, true, func(key, _ []byte) error {
			out = append(out, strings.TrimPrefix(string(key), prefix))
			return nil
		})
	})
	sort.Strings(out)
	return out, err
}

// FeatureSetHead implements featurestore.Registry.
func (s *Store) FeatureSetHead(ctx context.Context, name string) (*featurestore.FeatureSetHead, error) {
	var h setHeadRecord
	err := s.view(func(txn *badgerdb.Txn) error { return getJSON(txn, "sh/"+name, &h) })
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, notFound("feature set", name, "fs features sets lists the registered feature sets")
	}
	if err != nil {
		return nil, fmt.Errorf("read feature set %s: %w", name, err)
	}
	return &h.FeatureSetHead, nil
}

// FeatureSetHeads implements featurestore.Registry.
func (s *Store) FeatureSetHeads(ctx context.Context) ([]featurestore.FeatureSetHead, error) {
	heads, err := list[setHeadRecord](s, "sh/", false)
	out := make([]featurestore.FeatureSetHead, len(heads))
	for i, h := range heads {
		out[i] = h.FeatureSetHead
	}
	return out, err
}

// FeatureSetVersion implements featurestore.Registry.
func (s *Store) FeatureSetVersion(ctx context.Context, id featurestore.ID) (*featurestore.FeatureSetVersion, error) {
	var v featurestore.FeatureSetVersion
	err := s.view(func(txn *badgerdb.Txn) error { return getJSON(txn, "sv/"+id.String(), &v) })
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, notFound("feature set version", id.Short(), "")
	}
	return &v, err
}

// FeatureSetHistory implements featurestore.Registry.
func (s *Store) FeatureSetHistory(ctx context.Context, name string) ([]featurestore.HistoryEntry, error) {
	return s.history("shi/", "feature set", name)
}

// SourceHead implements featurestore.Registry.
func (s *Store) SourceHead(ctx context.Context, name string) (*featurestore.SourceHead, error) {
	var h sourceHeadRecord
	err := s.view(func(txn *badgerdb.Txn) error { return getJSON(txn, "srch/"+name, &h) })
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, notFound("source", name, s.suggestName("srch/", name, "fs register records a definition file's sources"))
	}
	if err != nil {
		return nil, fmt.Errorf("read source %s: %w", name, err)
	}
	return &h.SourceHead, nil
}

// SourceVersion implements featurestore.Registry.
func (s *Store) SourceVersion(ctx context.Context, id featurestore.ID) (*featurestore.SourceVersion, error) {
	var v featurestore.SourceVersion
	err := s.view(func(txn *badgerdb.Txn) error { return getJSON(txn, "srcv/"+id.String(), &v) })
	if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
		return nil, notFound("source version", id.Short(), "")
	}
	if err != nil {
		return nil, fmt.Errorf("read source version %s: %w", id.Short(), err)
	}
	return &v, nil
}

// SourceHistory implements featurestore.Registry.
func (s *Store) SourceHistory(ctx context.Context, name string) ([]featurestore.HistoryEntry, error) {
	return s.history("srchi/", "source", name)
}

// Sources implements featurestore.Registry.
func (s *Store) Sources(ctx context.Context) ([]featurestore.Source, error) {
	out, err := list[featurestore.Source](s, "src/", false)
	for i := range out {
		out[i] = s.mapSource(out[i], s.loadedPath)
	}
	return out, err
}

// Entities implements featurestore.Registry.
func (s *Store) Entities(ctx context.Context) ([]featurestore.Entity, error) {
	return list[featurestore.Entity](s, "ent/", false)
}
