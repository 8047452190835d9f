package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/featurestore/yaml"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/spark"
)

// RegisterRequest is a definition file to register. With Content set, it
// is the file's content and Dir the absolute directory its relative source
// paths start from (a client sends what it read); without, the service
// reads File itself.
type RegisterRequest struct {
	File    string `json:"file"`
	Dir     string `json:"dir,omitempty"`
	Content string `json:"content,omitempty"`
	DryRun  bool   `json:"dry_run"`
}

// RegisterResult is what registering a file did (or, dry, would do).
type RegisterResult struct {
	File        string                          `json:"file"`
	DryRun      bool                            `json:"dry_run"`
	Sources     []featurestore.SourceChange     `json:"sources"`
	Features    []featurestore.FeatureChange    `json:"features"`
	FeatureSets []featurestore.FeatureSetChange `json:"feature_sets"`
}

// Register checks every definition of a file and records them all, or
// none. Errors: EINVALID (with every problem at once), ECONFLICT.
func (s *Service) Register(ctx context.Context, req RegisterRequest) (*RegisterResult, error) {
	if err := required(need{"file", req.File, "the definition file's path"}); err != nil && req.Content == "" {
		return nil, err
	}
	defs, err := s.definitions(req)
	if err != nil {
		return nil, err
	}
	for i, src := range defs.Sources {
		path := src.Path
		if !filepath.IsAbs(path) && !featurestore.IsURI(path) {
			path = filepath.Join(defs.Dir, path)
		}
		if err := s.checkSourcePath(fmt.Sprintf("sources[%d].path", i), path); err != nil {
			return nil, err
		}
	}
	// Reading the schemas and compiling every expression takes the time:
	// done before the store is held, so other commands go on meanwhile.
	schemas := &sourceSchemas{ctx: ctx, s: s}
	compiled, err := featurestore.Compile(ctx, defs, schemas, badger.ProjectRoot(s.Store.Dir()))
	schemas.close()
	if err != nil {
		return nil, err
	}
	var plan *featurestore.Plan
	open := s.write
	if req.DryRun {
		open = s.read
	}
	err = open(ctx, func(st Store) error {
		plan, err = compiled.Plan(ctx, st, time.Now())
		if err != nil {
			return err
		}
		plan.By = s.user(ctx)
		if err := noticeOldRule(ctx, st, plan); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil || req.DryRun {
			return err
		}
		if err := st.Apply(ctx, plan); err != nil {
			return fmt.Errorf("register %s: %w", req.File, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &RegisterResult{File: req.File, DryRun: req.DryRun, Sources: plan.Sources, Features: plan.Features, FeatureSets: plan.FeatureSets}
	if res.Sources == nil {
		res.Sources = []featurestore.SourceChange{}
	}
	if res.Features == nil {
		res.Features = []featurestore.FeatureChange{}
	}
	if res.FeatureSets == nil {
		res.FeatureSets = []featurestore.FeatureSetChange{}
	}
	if req.DryRun {
		notify(ctx, "dry run: nothing was recorded")
	}
	return res, nil
}

// noticeOldRule says when features change only because their previous
// versions were made under the rule before sources had versions.
func noticeOldRule(ctx context.Context, reg featurestore.Registry, plan *featurestore.Plan) error {
	n := 0
	for _, ch := range plan.Features {
		if ch.Previous == nil {
			continue
		}
		prev, err := reg.FeatureVersion(ctx, *ch.Previous)
		if err != nil {
			return err
		}
		if featurestore.DescriptorFormat(prev.Descriptor) == featurestore.FeatureFormatV1 {
			n++
		}
	}
	if n > 0 {
		notify(ctx, "note: %d of these features were versioned by an earlier fs, whose versions did not cover where a source's data lives; "+
			"they get new versions once (their old versions, datasets and runs stay as they were: docs/versions.md)", n)
	}
	return nil
}

func (s *Service) definitions(req RegisterRequest) (*featurestore.Definitions, error) {
	if req.File == "" {
		req.File = "the definition file"
	}
	if req.Content == "" && req.Dir == "" {
		if err := s.checkPath("file", req.File); err != nil {
			return nil, err
		}
		return yaml.ReadFile(req.File)
	}
	if err := s.checkPath("dir", req.Dir); err != nil {
		return nil, err
	}
	return yaml.Parse(req.File, req.Dir, []byte(req.Content))
}

// sourceSchemas reads a source's schema from its parquet footers, or, for
// a source at a URI, through Spark ($SPARK_REMOTE).
type sourceSchemas struct {
	ctx   context.Context
	s     *Service
	spark *spark.Engine
}

func (r *sourceSchemas) ReadSchema(path string) (featurestore.Schema, error) {
	if !materialize.NeedsEngine(path) {
		files, _, err := sourceFiles(r.ctx, featurestore.Source{Path: path})
		if err != nil {
			return nil, err
		}
		if err := r.s.checkFiles("source file", files); err != nil {
			return nil, err
		}
		if featurestore.IsTable(path) {
			return parquet.FileSchema(files[0]) // a table's data files share its schema
		}
		return parquet.FilesSchema(r.ctx, files)
	}
	if r.spark == nil {
		p, err := r.s.connectSpark(r.ctx, "", "a source at a URI ("+path+")")
		if err != nil {
			return nil, err
		}
		r.spark = p
	}
	return r.spark.Schema(r.ctx, path)
}

func (r *sourceSchemas) close() {
	if r.spark != nil {
		r.spark.Close()
	}
}
