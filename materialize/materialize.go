package materialize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/transforms"
)

// Request is what a user asks for: the features (or a feature set), the
// entity rows, the cutoff and the file to write.
type Request struct {
	Features        []string // NAME or NAME@VERSION, in output order
	FeatureSet      string   // NAME or NAME@VERSION; instead of Features
	Entities        string   // CSV or parquet file
	TimestampColumn string   // default event_timestamp
	Out             string   // the parquet file to write
	AsOf            time.Time
	Now             time.Time // the time of materialization, for the default cutoff
	// SourcePaths says where a source's files are now, by source name, when
	// they are not at its registered path (fs reproduce, for files that
	// moved within the project).
	SourcePaths map[string]string
	// SourceFiles, by source name, are the exact files to read instead of
	// listing the source's path again: fs reproduce pins a bucket's
	// objects as recorded (s3://bucket/key?versionId=V for a version).
	SourceFiles map[string][]string
	// EntityRows, when set, are the entity rows, in memory, instead of the
	// file Entities names (fs online sync: every key at one time). Their
	// join keys must be typed as the sources type them.
	EntityRows *Entities
}

// Options say how a job runs: the engine that picks the as-of rows, the
// memory budget, the checks on its files, what it tells its user.
type Options struct {
	// Engine picks the as-of rows and reads the sources at URIs somewhere
	// else (Spark); nil picks here, in memory or spilled to SpillDir.
	Engine Engine
	// Digests gives the source files' digests; nil reads every file.
	Digests Digester
	// Tables reads the snapshots of sources that are tables in a catalog
	// (featurestore.IsTable); nil refuses such a source.
	Tables featurestore.Tables
	// RowNulls fills each feature's FeatureNulls.Rows: why each null row
	// is null (fs online sync keeps the reason with the value).
	RowNulls bool
	// Allow, when set, is asked about every local file a source's path
	// expands to before it is read (a server's data roots: a link in a
	// source directory may point outside them).
	Allow func(file string) error
	Keep  []string // directories the output must not be in (the store)
	// Deliver, when set, is where a server's client will copy Out: it must
	// not destroy an input or land in the store any more than Out may.
	Deliver string
	// MemoryLimit is the memory budget in bytes (0: membudget's default): a
	// source that would not fit is spilled to SpillDir (default: the
	// system's temporary directory) in partitions by join key.
	MemoryLimit int64
	SpillDir    string
	// TuneGC lets a spilling job set the Go runtime's soft memory limit
	// to its budget plus its entity side while it picks, so that garbage
	// is collected before the heap doubles: for a process that runs one
	// job (the command line), not for a server running several.
	TuneGC bool
	// Progress, if set, is told how many entity rows are done.
	Progress func(done, total int)
	// Notify, if set, is told, one line at a time, what the job does that
	// a user may wonder at (spilling a source) and, with Timings, how long
	// each step took.
	Notify  func(line string)
	Timings bool
}

// Engine picks as-of rows and reads the sources at URIs somewhere else
// than in this process (Spark).
type Engine interface {
	Picker
	Sources
}

// notify tells o.Notify, if set.
func (o Options) notify(format string, args ...any) {
	if o.Notify != nil {
		o.Notify(fmt.Sprintf(format, args...))
	}
}

// allow asks o.Allow about each file.
func (o Options) allow(files []string) error {
	if o.Allow == nil {
		return nil
	}
	for _, f := range files {
		if err := o.Allow(f); err != nil {
			return err
		}
	}
	return nil
}

func (o Options) budget() int64 {
	if o.MemoryLimit > 0 {
		return o.MemoryLimit
	}
	return membudget.Default().Spill
}

func (o Options) digester() Digester {
	if o.Digests == nil {
		return hashFiles{}
	}
	return o.Digests
}

// Job is a request resolved against the registry: the exact versions to
// compute and the sources they read.
type Job struct {
	req     Request
	opt     Options // while it runs
	outputs []featurestore.FeatureRef
	byID    map[featurestore.ID]*featurestore.FeatureVersion
	groups  []*group
	watch   *stopwatch // with Options.Timings
	// tables are the snapshots read of the sources that are tables, by
	// path: each is read once per job.
	tables map[string]*featurestore.TableSnapshot
}

// group is the features that read one source definition.
type group struct {
	src           featurestore.Source
	sourceVersion featurestore.ID // zero for versions made before sources had versions
	joinKeys      []string
	columns       []string                       // source columns to read
	reads         []string                       // those the versions' expressions read
	outputs       []int                          // indexes into Job.outputs
	versions      []*featurestore.FeatureVersion // outputs and their dependencies
	// windowed: the outputs are aggregations, or read them (computed from
	// the source's events, window.go); else as-of features.
	windowed bool
}

// remote says whether path is a URI the job reads through its Sources, and
// refuses one it has no Sources for.
func (o Options) remote(src featurestore.Source) (bool, error) {
	if !NeedsEngine(src.Path) {
		return false, nil
	}
	if o.Engine == nil {
		return true, featurestore.Errorf(featurestore.EINVALID, "%s is a URI, which fs reads only through Spark", src.Path).
			WithHint("materialize with --engine spark (and a Spark Connect server that reaches that storage)")
	}
	return true, nil
}

// NeedsEngine reports whether a source path is a URI only an engine
// (Spark) reads: not a local path, not an object of a bucket fs reads
// itself (blob), not a table fs reads through its catalog.
func NeedsEngine(path string) bool {
	return featurestore.IsURI(path) && !blob.Handles(path) && !featurestore.IsTable(path)
}

// sourceFiles lists a source's files, where they are.
func (j *Job) sourceFiles(ctx context.Context, src featurestore.Source) ([]string, featurestore.Schema, error) {
	remote, err := j.opt.remote(src)
	switch {
	case err != nil:
		return nil, nil, err
	case remote:
		files, err := j.opt.Engine.Files(ctx, src.Path)
		if err != nil {
			return nil, nil, err
		}
		schema, err := j.opt.Engine.Schema(ctx, src.Path)
		return files, schema, err
	}
	files, pinned := j.req.SourceFiles[src.Name]
	if featurestore.IsTable(src.Path) {
		snap, err := j.tableSnapshot(ctx, src.Path)
		if err != nil {
			return nil, nil, err
		}
		files, pinned = snap.Paths(), true
	}
	if !pinned {
		if files, err = parquet.Files(src.Path); err != nil {
			return nil, nil, err
		}
	}
	if err := j.opt.allow(files); err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	schema, err := parquet.FilesSchema(ctx, files)
	return files, schema, err
}

// tableSnapshot reads the snapshot of the table at path (once).
func (j *Job) tableSnapshot(ctx context.Context, path string) (*featurestore.TableSnapshot, error) {
	if snap, ok := j.tables[path]; ok {
		return snap, nil
	}
	ref, err := featurestore.ParseTableRef(path)
	if err != nil {
		return nil, err
	}
	if j.opt.Tables == nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s is a table, and this job reads no catalog", ref)
	}
	snap, err := j.opt.Tables.Snapshot(ctx, ref)
	if err != nil {
		return nil, err
	}
	if j.tables == nil {
		j.tables = map[string]*featurestore.TableSnapshot{}
	}
	j.tables[path] = snap
	return snap, nil
}

// snapshot hashes a source's files: here, or where they are. A table's
// snapshot is its snapshot id and data files, read from its catalog.
func (j *Job) snapshot(ctx context.Context, src featurestore.Source, files []string) (featurestore.SourceSnapshot, error) {
	if snap, ok := j.tables[src.Path]; ok {
		return featurestore.SourceSnapshot{Name: src.Name, Path: src.Path, Files: snap.Files,
			Digest: featurestore.TableSnapshotDigest(snap), Snapshot: snap}, nil
	}
	if remote, _ := j.opt.remote(src); remote {
		fs, err := j.opt.Engine.Digests(ctx, files)
		if err != nil {
			return featurestore.SourceSnapshot{}, err
		}
		return SnapshotOf(src, fs), nil
	}
	return SnapshotWith(ctx, j.opt.digester(), src, files)
}

// Outputs returns the features the job computes, in output order.
func (j *Job) Outputs() []featurestore.FeatureRef { return j.outputs }

// Resolve turns a request into a job: each feature name to its current
// version (or the pinned one), the feature set to its members, and every
// version to the versions it depends on.
func Resolve(ctx context.Context, reg featurestore.Registry, req Request) (*Job, error) {
	if req.TimestampColumn == "" {
		req.TimestampColumn = "event_timestamp"
	}
	j := &Job{req: req, byID: map[featurestore.ID]*featurestore.FeatureVersion{}}
	switch {
	case req.FeatureSet != "" && len(req.Features) > 0:
		return nil, featurestore.Errorf(featurestore.EINVALID, "give --features or --feature-set, not both")
	case req.FeatureSet != "":
		refs, err := resolveSet(ctx, reg, req.FeatureSet)
		if err != nil {
			return nil, err
		}
		j.outputs = refs
	case len(req.Features) == 0:
		return nil, featurestore.Errorf(featurestore.EINVALID, "no features asked for").
			WithHint("give --features a,b@VERSION or --feature-set NAME")
	default:
		for _, f := range req.Features {
			ref, err := featurestore.ResolveArg(ctx, reg, strings.TrimSpace(f))
			if err != nil {
				return nil, err
			}
			j.outputs = append(j.outputs, ref)
		}
	}
	seen := map[string]bool{}
	for _, ref := range j.outputs {
		if seen[ref.Name] {
			return nil, featurestore.Errorf(featurestore.EINVALID, "feature %s is asked for twice", ref.Name).
				WithHint("each feature is one output column; ask for it once")
		}
		seen[ref.Name] = true
		if err := j.load(ctx, reg, ref.Version); err != nil {
			return nil, err
		}
	}
	for _, v := range j.byID {
		if p, ok := req.SourcePaths[v.Source.Name]; ok {
			v.Source.Path = p
		}
	}
	j.groupBySource()
	return j, nil
}

func resolveSet(ctx context.Context, reg featurestore.Registry, arg string) ([]featurestore.FeatureRef, error) {
	name, prefix, pinned := strings.Cut(arg, "@")
	var id featurestore.ID
	if !pinned {
		head, err := reg.FeatureSetHead(ctx, name)
		if err != nil {
			return nil, err
		}
		id = head.Current
	} else {
		hist, err := reg.FeatureSetHistory(ctx, name)
		if err != nil {
			return nil, err
		}
		for _, h := range hist {
			if strings.HasPrefix(h.Version.String(), strings.ToLower(prefix)) {
				id = h.Version
				break
			}
		}
		if id.IsZero() {
			return nil, featurestore.Errorf(featurestore.ENOTFOUND, "feature set %s has no version %s", name, prefix).
				WithHint("fs features sets lists the feature sets")
		}
	}
	v, err := reg.FeatureSetVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	return v.Members, nil
}

// load reads a version and, recursively, those it depends on.
func (j *Job) load(ctx context.Context, reg featurestore.Registry, id featurestore.ID) error {
	if _, ok := j.byID[id]; ok {
		return nil
	}
	v, err := reg.FeatureVersion(ctx, id)
	if err != nil {
		return err
	}
	j.byID[id] = v
	for _, d := range v.DependsOn {
		if err := j.load(ctx, reg, d.Version); err != nil {
			return err
		}
	}
	return nil
}

func sourceKey(v *featurestore.FeatureVersion) string {
	s := v.Source
	return strings.Join([]string{v.SourceVersion.String(), s.Name, s.Path, s.TimestampField, s.CreatedTimestampField, strings.Join(v.JoinKeys, ",")}, "\x00")
}

// windowed reports whether v is an aggregation or reads one.
func (j *Job) windowed(v *featurestore.FeatureVersion) bool {
	if v.Aggregation != nil {
		return true
	}
	return slices.ContainsFunc(v.DependsOn, func(d featurestore.FeatureRef) bool { return j.windowed(j.byID[d.Version]) })
}

func (j *Job) groupBySource() {
	byKey := map[string]*group{}
	for oi, ref := range j.outputs {
		v := j.byID[ref.Version]
		w := j.windowed(v)
		k := sourceKey(v) + fmt.Sprint("\x00", w)
		g, ok := byKey[k]
		if !ok {
			g = &group{src: v.Source, sourceVersion: v.SourceVersion, joinKeys: v.JoinKeys, windowed: w}
			byKey[k] = g
			j.groups = append(j.groups, g)
		}
		g.outputs = append(g.outputs, oi)
	}
	for _, g := range j.groups {
		cols := map[string]bool{g.src.TimestampField: true}
		if g.src.CreatedTimestampField != "" {
			cols[g.src.CreatedTimestampField] = true
		}
		for _, k := range g.joinKeys {
			cols[k] = true
		}
		seen := map[featurestore.ID]bool{}
		var visit func(id featurestore.ID)
		visit = func(id featurestore.ID) {
			if seen[id] {
				return
			}
			seen[id] = true
			v := j.byID[id]
			for _, d := range v.DependsOn {
				visit(d.Version)
			}
			for _, c := range v.Columns {
				cols[c.Name] = true
			}
			g.versions = append(g.versions, v) // dependencies first
		}
		for _, oi := range g.outputs {
			visit(j.outputs[oi].Version)
		}
		reads := map[string]bool{}
		for _, v := range g.versions {
			for _, c := range v.Columns {
				reads[c.Name] = true
			}
		}
		g.columns, g.reads = sortedKeys(cols), sortedKeys(reads)
	}
}

// Materialize computes the dataset and writes it to req.Out through a
// temporary file in the same directory, renames it into place (an object
// in a bucket: an upload completed at the end), then calls record with
// the dataset, so that only a file on disk is recorded. If
// record fails, or ctx is cancelled, an earlier file at req.Out is put
// back as it was. An output that is a directory, one of the inputs or in
// the store is refused before any work.
func (j *Job) Materialize(ctx context.Context, opt Options, record func(*featurestore.Dataset) error) (*featurestore.Dataset, error) {
	j.opt = opt
	if err := j.checkOutput(); err != nil {
		return nil, err
	}
	if opt.Timings {
		j.watch = newStopwatch(opt.notify)
	}
	table, ds, err := j.Compute(ctx, opt)
	if err != nil {
		return nil, err
	}
	out, err := outputPath(j.req.Out)
	if err != nil {
		return nil, err
	}
	ds.Output = out
	f, err := createOutput(ctx, out, j.req.Out)
	if err != nil {
		return nil, err
	}
	defer f.abort()
	h := sha256.New()
	if err := parquet.WriteTable(io.MultiWriter(f, h), table, Metadata(ds)); err != nil {
		return nil, fmt.Errorf("write %s: %w", j.req.Out, err)
	}
	ds.FileDigest = hex.EncodeToString(h.Sum(nil))
	j.watch.step("write %s", path.Base(filepath.ToSlash(out)))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	earlier := f.restorer()
	if err := f.commit(ctx); err != nil {
		earlier.Drop()
		return nil, fmt.Errorf("write %s: %w", j.req.Out, err)
	}
	if record != nil {
		if err := record(ds); err != nil {
			earlier.Restore()
			return nil, err
		}
	}
	earlier.Drop()
	j.watch.step("record the dataset")
	j.watch.total()
	return ds, nil
}

// checkOutput refuses an output that would overwrite an input (the entity
// file, a source file) or land in the store.
func (j *Job) checkOutput() error {
	inputs := []string{j.req.Entities}
	for _, g := range j.groups {
		if remote, _ := j.opt.remote(g.src); remote || featurestore.IsTable(g.src.Path) {
			continue // not a file here, or a warehouse's: nothing here can overwrite it
		}
		files, err := parquet.Files(g.src.Path)
		if err != nil {
			return err
		}
		inputs = append(inputs, files...)
	}
	for _, out := range []string{j.req.Out, j.opt.Deliver} {
		if out == "" {
			continue
		}
		if err := featurestore.CheckOutput("--out", out, inputs, j.opt.Keep); err != nil {
			return err
		}
	}
	return nil
}

// Metadata is the key-value metadata written into a dataset file
// (featurestore.EncodeDatasetMeta).
func Metadata(ds *featurestore.Dataset) map[string]string { return featurestore.EncodeDatasetMeta(ds) }

// Compute reads the entity file and the sources and builds the dataset's
// table and record (without Output, FileDigest and Created). It reads one
// version of each object in a bucket, the one it first opens (or the one
// ctx's pins hold): every pass, and the snapshot, read that version.
func (j *Job) Compute(ctx context.Context, opt Options) (*featurestore.Table, *featurestore.Dataset, error) {
	j.opt = opt
	ctx = blob.WithPins(ctx)
	srcs, err := j.readSchemas(ctx)
	if err != nil {
		return nil, nil, err
	}
	j.watch.step("read the sources' schemas")
	ents := j.req.EntityRows
	if ents == nil {
		if ents, err = ReadEntities(ctx, j.req.Entities, j.req.TimestampColumn, srcs.keyTypes); err != nil {
			return nil, nil, err
		}
	}
	j.watch.step("read the entity file (%d rows)", ents.Table.Rows)
	if err := j.checkEntityColumns(ents); err != nil {
		return nil, nil, err
	}
	ds := j.newDataset(ents)
	out, err := j.computeGroups(ctx, srcs, ents, ds)
	if err != nil {
		return nil, nil, err
	}
	ds.Descriptor = featurestore.DatasetDescriptor(ds)
	ds.ID = featurestore.Hash([]byte(ds.Descriptor))
	return j.outputTable(ents, srcs.keyTypes, out), ds, nil
}

// sourceSchemas are each group's files and schema now, and the type of
// every join key (from the first source that has it).
type sourceSchemas struct {
	files    [][]string
	schemas  []featurestore.Schema
	keyTypes map[string]transforms.Type
}

// readSchemas lists each source's files and reads its schema, to type the
// entity keys and check that the data still has what each version reads.
func (j *Job) readSchemas(ctx context.Context) (*sourceSchemas, error) {
	s := &sourceSchemas{files: make([][]string, len(j.groups)), schemas: make([]featurestore.Schema, len(j.groups)),
		keyTypes: map[string]transforms.Type{}}
	keyFrom := map[string]string{}
	for gi, g := range j.groups {
		fs, schema, err := j.sourceFiles(ctx, g.src)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", g.src.Name, err)
		}
		s.files[gi], s.schemas[gi] = fs, schema
		if err := checkSchema(g, schema); err != nil {
			return nil, err
		}
		for _, k := range g.joinKeys {
			c, _ := schema.Lookup(k)
			if t, ok := s.keyTypes[k]; ok && t != c.Type {
				return nil, featurestore.Errorf(featurestore.EINVALID, "join key %s is %s in source %s but %s in source %s", k, c.Type, g.src.Name, t, keyFrom[k]).
					WithHint("materialize these features separately")
			}
			s.keyTypes[k], keyFrom[k] = c.Type, g.src.Name
		}
	}
	return s, nil
}

// checkEntityColumns refuses an entity column named like a feature.
func (j *Job) checkEntityColumns(ents *Entities) error {
	for _, o := range j.outputs {
		if ents.Table.Lookup(o.Name) != nil {
			return featurestore.Errorf(featurestore.EINVALID, "the entity file has a column %s, like the feature", o.Name).
				WithHint("rename or drop that column of the entity file")
		}
	}
	return nil
}

// newDataset is the dataset's record before its sources are read: the
// cutoff is the request's, else now when a source has created times.
func (j *Job) newDataset(ents *Entities) *featurestore.Dataset {
	ds := &featurestore.Dataset{Features: j.outputs, TimestampColumn: j.req.TimestampColumn, Rows: ents.Table.Rows,
		Entities:  featurestore.EntityFile{Path: absPath(j.req.Entities), Digest: ents.Digest, Rows: ents.Table.Rows},
		FSVersion: featurestore.Version, Cutoff: j.req.AsOf}
	if ds.Cutoff.IsZero() {
		for _, g := range j.groups {
			if g.src.CreatedTimestampField != "" {
				ds.Cutoff = j.req.Now.UTC().Truncate(time.Microsecond)
			}
		}
	}
	return ds
}

// computeGroups picks and computes each group's features, recording in
// ds each source's snapshot and each feature's nulls; it returns the
// feature columns in output order.
func (j *Job) computeGroups(ctx context.Context, srcs *sourceSchemas, ents *Entities, ds *featurestore.Dataset) ([]*featurestore.Series, error) {
	out := make([]*featurestore.Series, len(j.outputs))
	ds.Nulls = make([]featurestore.FeatureNulls, len(j.outputs))
	total, done := ents.Table.Rows*len(j.groups), 0
	snapshots := map[string]featurestore.SourceSnapshot{}
	for gi, g := range j.groups {
		progress := func(n int) {
			if j.opt.Progress != nil {
				j.opt.Progress(done+n, total)
			}
		}
		res, err := j.computeGroupOf(ctx, g, srcs.files[gi], srcs.schemas[gi], ents, ds.Cutoff, progress)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", g.src.Name, err)
		}
		snap := res.snap
		if prev, ok := snapshots[g.src.Name]; !ok || prev.Digest == snap.Digest {
			snapshots[g.src.Name] = snap
		} else {
			snapshots[g.src.Name+"@"+g.src.Path] = snap
		}
		j.watch.step("source %s: compute %d features", g.src.Name, len(g.outputs))
		done += ents.Table.Rows
		for i, oi := range g.outputs {
			out[oi] = res.series[i]
			ds.Nulls[oi] = res.nulls[i]
		}
	}
	for _, k := range sortedKeys(snapshots) {
		ds.Sources = append(ds.Sources, snapshots[k])
	}
	return out, nil
}

// groupResult is a group's feature columns, their null counts (with the
// reasons) and its source's snapshot.
type groupResult struct {
	series []*featurestore.Series
	nulls  []featurestore.FeatureNulls
	snap   featurestore.SourceSnapshot
}

// computeGroupOf computes a group: an as-of group by picking a source row
// per entity row, a windowed one from all the source's events.
func (j *Job) computeGroupOf(ctx context.Context, g *group, files []string, schema featurestore.Schema, ents *Entities,
	cutoff time.Time, progress func(int)) (*groupResult, error) {
	if g.windowed {
		return j.computeWindowed(ctx, g, files, schema, ents, cutoff, progress)
	}
	picked, snap, err := j.readAndSnapshot(ctx, g, files, schema, ents, cutoff)
	if err != nil {
		return nil, err
	}
	series, nulls, err := j.computeGroup(ctx, g, picked, ents, progress)
	if err != nil {
		return nil, err
	}
	for i := range nulls {
		nulls[i].Reason = nullReason(nulls[i], ents.Table.Rows, picked.AllCreatedAfter(), cutoff)
	}
	return &groupResult{series: series, nulls: nulls, snap: snap}, nil
}

// readAndSnapshot picks a group's source rows while its files are hashed
// alongside, and returns the pick and the source's snapshot.
func (j *Job) readAndSnapshot(ctx context.Context, g *group, files []string, schema featurestore.Schema, ents *Entities,
	cutoff time.Time) (*Picked, featurestore.SourceSnapshot, error) {
	var snap featurestore.SourceSnapshot
	var snapTime time.Duration
	snapErr := make(chan error, 1)
	go func() {
		started := time.Now()
		var err error
		snap, err = j.snapshot(ctx, g.src, files)
		snapTime = time.Since(started)
		snapErr <- err
	}()
	read, rows, picked, err := j.readGroup(ctx, g, files, schema, ents, cutoff)
	if serr := <-snapErr; err == nil {
		err = serr
	}
	j.watch.alongside(snapTime, "source %s: snapshot its files", g.src.Name)
	if err != nil {
		return nil, snap, err
	}
	snap.Rows, snap.Schema, snap.SourceVersion = rows, read, g.sourceVersion
	return picked, snap, nil
}

// outputTable is the dataset's columns: the entity keys, the event
// timestamp, the other entity columns, then the features in the order
// asked.
func (j *Job) outputTable(ents *Entities, keyTypes map[string]transforms.Type, features []*featurestore.Series) *featurestore.Table {
	t := &featurestore.Table{Rows: ents.Table.Rows}
	for _, s := range ents.Table.Series {
		if _, isKey := keyTypes[s.Name]; isKey {
			t.Series = append(t.Series, s)
		}
	}
	t.Series = append(t.Series, ents.Table.Lookup(j.req.TimestampColumn))
	for _, s := range ents.Table.Series {
		if _, isKey := keyTypes[s.Name]; !isKey && s.Name != j.req.TimestampColumn {
			t.Series = append(t.Series, s)
		}
	}
	t.Series = append(t.Series, features...)
	return t
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkSchema verifies that the source still has every column each
// version reads, with the physical type it was registered against.
func checkSchema(g *group, schema featurestore.Schema) error {
	for _, v := range g.versions {
		for _, want := range v.Columns {
			got, ok := schema.Lookup(want.Name)
			switch {
			case !ok:
				return featurestore.Errorf(featurestore.ECONFLICT, "source %s no longer has column %s, which feature %s@%s reads",
					g.src.Name, want.Name, v.Name, v.ID.Short()).
					WithHint("restore the data, or register a definition that matches the data now")
			case got.Physical != want.Physical:
				return featurestore.Errorf(featurestore.ECONFLICT, "source %s column %s is %s now, but feature %s@%s was registered on %s",
					g.src.Name, want.Name, got.Physical, v.Name, v.ID.Short(), want.Physical).
					WithHint("register the definitions again for a version that reads the data as it is now")
			}
		}
	}
	for _, k := range append([]string{g.src.TimestampField}, g.joinKeys...) {
		if _, ok := schema.Lookup(k); !ok {
			return featurestore.Errorf(featurestore.ECONFLICT, "source %s no longer has column %s", g.src.Name, k).
				WithHint("restore the data, or register the source again")
		}
	}
	return nil
}

// readGroup picks, for each entity row, a group's source row (in memory,
// spilled, or with the Picker given) and returns the rows picked (one per
// entity row), the columns read and the source's row count, from the
// files' footers (for a source at a URI: from where it is, its schema
// being known already).
func (j *Job) readGroup(ctx context.Context, g *group, files []string, known featurestore.Schema, ents *Entities, cutoff time.Time) (
	featurestore.Schema, int, *Picked, error) {
	schema, rows, err := j.layout(ctx, g, files, known)
	if err != nil {
		return nil, 0, nil, err
	}
	read := columnsOf(schema, g.columns)
	var picker Picker = j.opt.Engine
	if picker == nil {
		picker = j.pickerFor(g, read, rows, ents)
	}
	in := PickInput{Source: g.src, Files: files, JoinKeys: g.joinKeys, Columns: g.columns, Reads: g.reads, Schema: schema,
		Cutoff: cutoff, Event: ents.Table.Lookup(ents.TimestampColumn).I64}
	for _, k := range g.joinKeys {
		in.EntityKeys = append(in.EntityKeys, ents.Table.Lookup(k))
	}
	picked, err := picker.Pick(ctx, in)
	if err != nil {
		return nil, 0, nil, err
	}
	if j.opt.Engine != nil {
		j.watch.step("source %s: pick elsewhere (Spark)", g.src.Name)
	}
	return read, int(rows), picked, nil
}

// layout is a source's schema and row count: from its files' footers, or
// from where it is (a source at a URI, whose schema is known already).
func (j *Job) layout(ctx context.Context, g *group, files []string, known featurestore.Schema) (featurestore.Schema, int64, error) {
	if remote, _ := j.opt.remote(g.src); remote {
		rows, err := j.opt.Engine.Rows(ctx, files)
		return known, rows, err
	}
	return parquet.Layout(ctx, files)
}

// pickerFor picks in memory from a source whose join keys, timestamps
// and pick fit in the memory budget, else spills it.
func (j *Job) pickerFor(g *group, read featurestore.Schema, rows int64, ents *Entities) Picker {
	keys, _ := splitColumns(PickInput{Source: g.src, JoinKeys: g.joinKeys, Columns: g.columns})
	parts := partitionsFor(rows, columnsOf(read, keys), j.opt.budget())
	if parts == 1 {
		return memoryPicker{watch: j.watch}
	}
	dir := j.opt.SpillDir
	if dir == "" {
		dir = os.TempDir()
	}
	j.opt.notify("source %s (%d rows) is larger than the memory limit of %s: spilling it to %s in %d partitions",
		g.src.Name, rows, membudget.Human(j.opt.budget()), dir, parts)
	sp := spillPicker{dir: dir, parts: parts, watch: j.watch}
	if j.opt.TuneGC {
		// The entity side while picking: its columns and the picked columns
		// the features read, about 9 bytes a value, and the pick's own
		// arrays (found, time, source row, the pick: about 5 values).
		values := int64(len(ents.Table.Series) + len(g.reads) + 5)
		sp.gcLimit = j.opt.budget() + int64(ents.Table.Rows)*values*9
	}
	return sp
}

// FileSHA256 returns the hex SHA-256 of a file's bytes and its size.
func FileSHA256(path string) (string, int64, error) {
	if _, ok := blob.For(path); ok {
		f, err := hashFiles{}.File(context.Background(), path)
		return f.SHA256, f.Size, err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Snapshot hashes a source's files: each file's sha256, then one digest
// over the sizes and digests in path order.
func Snapshot(src featurestore.Source, files []string) (featurestore.SourceSnapshot, error) {
	return SnapshotWith(context.Background(), hashFiles{}, src, files)
}

// SnapshotWith is Snapshot taking each file's digest from d (a
// DigestCache reuses what it hashed before).
func SnapshotWith(ctx context.Context, d Digester, src featurestore.Source, files []string) (featurestore.SourceSnapshot, error) {
	var fs []featurestore.FileSnapshot
	for _, f := range files {
		snap, err := d.File(ctx, f)
		if err != nil {
			return featurestore.SourceSnapshot{Name: src.Name, Path: src.Path}, fmt.Errorf("source %s: read %s: %w", src.Name, f, err)
		}
		fs = append(fs, snap)
	}
	return SnapshotOf(src, fs), nil
}

// SnapshotOf is the snapshot of files hashed already: one digest over the
// sizes and digests in path order.
func SnapshotOf(src featurestore.Source, files []featurestore.FileSnapshot) featurestore.SourceSnapshot {
	snap := featurestore.SourceSnapshot{Name: src.Name, Path: src.Path, Files: files}
	all := sha256.New()
	io.WriteString(all, "fs snapshot v1\n")
	for _, f := range files {
		io.WriteString(all, strconv.FormatInt(f.Size, 10)+" "+f.SHA256+"\n")
	}
	snap.Digest = hex.EncodeToString(all.Sum(nil))
	return snap
}
