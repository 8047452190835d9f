package app

import (
	"context"
	"os"
	"strings"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/featurestore/yaml"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/profile"
)

// ProfileRequest asks for the profile of a parquet file or directory, or
// of a registered source.
type ProfileRequest struct {
	Target          string   `json:"target"`                     // a file, a directory or a source name
	Label           string   `json:"label,omitempty"`            // the label column (--target)
	TimestampColumn string   `json:"timestamp_column,omitempty"` // default: the source's, or found by name
	EntityColumns   []string `json:"entity_columns,omitempty"`   // default: the source's, or a column ending in _id
	// HTML is for a client of an fs server: the server also keeps the HTML
	// report for the client to fetch (GET /api/v1/jobs/ID/output). A local
	// service ignores it: the caller renders the profile it returns.
	HTML bool `json:"html,omitempty"`
	// MemoryLimit bounds the profile's memory in bytes (0: the default);
	// past it, temporary files go to the store's tmp directory.
	MemoryLimit int64 `json:"memory_limit,omitempty"`
}

// ValidateRequest asks whether data meets expectations.
type ValidateRequest struct {
	Target string `json:"target"` // a file, a directory or a source name
	// Expectations is the YAML content; File its name in messages, and
	// where it is read from when Expectations is empty.
	File         string `json:"file"`
	Expectations string `json:"expectations"`
}

// expectationsHint says where the format of expectations is explained.
const expectationsHint = "see fs validate --help for the format of expectations"

// ReadExpectations sets the request's Expectations from its File when
// they are not given (a client reads its own file before sending).
func (r *ValidateRequest) ReadExpectations() error {
	if r.Expectations != "" || r.File == "" {
		return nil
	}
	data, err := yaml.ReadBounded(r.File, expectationsHint)
	if err != nil {
		return err
	}
	r.Expectations = string(data)
	return nil
}

// Validation lists the expectations that do not hold.
type Validation struct {
	Path       string              `json:"path"`
	Violations []profile.Violation `json:"violations"`
}

// Profile profiles the data and, for a registered source or an fs
// dataset, keeps the profile in the store for fs lineage. Errors:
// EINVALID, EFORBIDDEN.
func (s *Service) Profile(ctx context.Context, req ProfileRequest) (*profile.Profile, error) {
	if err := required(need{"target", req.Target, whatTarget}); err != nil {
		return nil, err
	}
	po := profile.Options{Target: req.Label, TimestampColumn: req.TimestampColumn, EntityColumns: req.EntityColumns,
		MemoryLimit: membudget.FromContext(ctx).SpillAt(req.MemoryLimit)}
	if badger.Exists(s.Store.Dir()) {
		po.TempDir = badger.TempDir(s.Store.Dir())
	}
	t, err := s.profileTarget(ctx, req.Target, &po)
	if err != nil {
		return nil, err
	}
	p, err := profile.Run(ctx, t.path, t.files, po)
	if err != nil {
		return nil, err
	}
	if t.node != "" && badger.Exists(s.Store.Dir()) {
		err := s.write(ctx, func(st Store) error { return st.RecordProfile(ctx, t.node, p) })
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Validate checks the data against expectations. Violations are the
// result, not an error. Errors: EINVALID, EFORBIDDEN.
func (s *Service) Validate(ctx context.Context, req ValidateRequest) (*Validation, error) {
	if err := required(need{"target", req.Target, whatTarget}); err != nil {
		return nil, err
	}
	if req.Expectations == "" && req.File != "" {
		if err := s.checkPath("expect", req.File); err != nil {
			return nil, err
		}
		if err := req.ReadExpectations(); err != nil {
			return nil, err
		}
	}
	var e profile.Expectations
	if req.File == "" {
		req.File = "the expectations"
	}
	if err := yaml.Decode(req.File, []byte(req.Expectations), &e, expectationsHint); err != nil {
		return nil, err
	}
	var po profile.Options
	t, err := s.profileTarget(ctx, req.Target, &po)
	if err != nil {
		return nil, err
	}
	v, err := profile.Validate(ctx, t.path, t.files, &e)
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = []profile.Violation{}
	}
	return &Validation{Path: t.path, Violations: v}, nil
}

// target is what a profile reads, and the lineage node it describes.
type target struct {
	path  string
	files []string
	node  lineage.NodeID
}

// profileTarget finds the files a profile reads: a path, else a registered
// source's files. It fills o's defaults from the source or the dataset. A
// path a request may not name is refused before fs looks at it, so the
// answer says nothing of files outside a server's data roots.
func (s *Service) profileTarget(ctx context.Context, arg string, o *profile.Options) (*target, error) {
	pathErr := s.checkPath("target", arg)
	if pathErr == nil {
		if _, statErr := os.Stat(arg); statErr == nil {
			return s.fileTarget(arg, o)
		}
	}
	var t *target
	err := s.read(ctx, func(st Store) (err error) {
		t, err = sourceTarget(ctx, st, arg, o)
		return err
	})
	if err == nil {
		if err := s.checkFiles("source file", t.files); err != nil {
			return nil, err
		}
		return t, nil
	}
	if pathErr != nil && featurestore.ErrorCode(err) == featurestore.EINVALID {
		return nil, pathErr // neither a source nor a file it may read
	}
	if featurestore.ErrorCode(err) == featurestore.ENOSTORE || featurestore.ErrorCode(err) == featurestore.ELOCKED {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s is neither a file nor a registered source", arg).
			WithHint("give a parquet file, a directory of them, or the name of a registered source")
	}
	return nil, err
}

func (s *Service) fileTarget(arg string, o *profile.Options) (*target, error) {
	files, err := parquet.Files(arg)
	if err != nil {
		return nil, err
	}
	if err := s.checkFiles("target", files); err != nil {
		return nil, err
	}
	t := &target{path: arg, files: files}
	if meta, merr := parquet.FileMetadata(files[0]); merr == nil {
		if m, ok, _ := featurestore.DecodeDatasetMeta(files[0], meta); ok {
			t.node = lineage.ID(lineage.Dataset, m.ID)
			if o.TimestampColumn == "" {
				o.TimestampColumn = m.TimestampColumn
			}
		}
	}
	return t, nil
}

func sourceTarget(ctx context.Context, st Store, arg string, o *profile.Options) (*target, error) {
	sources, err := st.Sources(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, src := range sources {
		names = append(names, src.Name)
		if src.Name != arg {
			continue
		}
		files, table, err := sourceFiles(ctx, src)
		if err != nil {
			return nil, err
		}
		ents, err := st.Entities(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.Name == src.Entity && len(o.EntityColumns) == 0 {
				o.EntityColumns = e.JoinKeys
			}
		}
		if o.TimestampColumn == "" {
			o.TimestampColumn = src.TimestampField
		}
		digest := ""
		if table != nil {
			digest = featurestore.TableSnapshotDigest(table)
		} else {
			snap, err := materialize.Snapshot(src, files)
			if err != nil {
				return nil, err
			}
			digest = snap.Digest
		}
		return &target{path: src.Path, files: files, node: lineage.ID(lineage.Snapshot, digest)}, nil
	}
	return nil, featurestore.Errorf(featurestore.EINVALID, "%s is neither a file nor a registered source", arg).
		WithHint("registered sources: %s", strings.Join(names, ", "))
}
