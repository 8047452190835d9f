package reproduce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/trainer"
)

// Report is the outcome of a reproduction.
type Report struct {
	Run       featurestore.ID `json:"run"`
	Identical bool            `json:"identical"`
	// Dataset: the recorded and rebuilt ids, and whether the rows are the same.
	DatasetRecorded string        `json:"dataset_recorded"`
	DatasetRebuilt  string        `json:"dataset_rebuilt"`
	SameDatasetID   bool          `json:"same_dataset_id"`
	SameRows        bool          `json:"same_rows"`
	Sources         []SourceCheck `json:"sources"`
	EntitiesChanged bool          `json:"entities_changed"`
	SameModel       bool          `json:"same_model"`
	SameMetrics     bool          `json:"same_metrics"`
	Differences     []string      `json:"differences"`
	Notes           []string      `json:"notes"`
}

// SourceCheck compares a source's files with its recorded snapshot.
type SourceCheck struct {
	Name    string   `json:"name"`
	Path    string   `json:"path"`
	Changed bool     `json:"changed"`
	Files   []string `json:"files"` // "modified PATH", "added PATH", "removed PATH"
	// AsRecorded: the rebuild read the objects recorded (a bucket's, at
	// their recorded versions), not what the source holds now.
	AsRecorded bool `json:"as_recorded,omitempty"`
}

// fileSHA is the hex SHA-256 of a file.
func fileSHA(path string) (string, error) {
	sum, _, err := materialize.FileSHA256(path)
	return sum, err
}

// Options say how to rebuild: the engine that reaches sources at URIs
// (Spark; nil when every source is a local path), the check on every
// local file and the memory budget, as materialize.Options.
type Options struct {
	Engine      materialize.Engine
	Tables      featurestore.Tables // reads the snapshots of sources that are tables
	Allow       func(file string) error
	MemoryLimit int64
}

// Run reproduces run r (for a sweep, its best run) trained on dataset d:
// the entity file and the sources checked against what was recorded, the
// dataset rebuilt and compared row for row, the model retrained and
// compared bit for bit.
func Run(ctx context.Context, reg featurestore.Registry, r *trainer.Run, d *featurestore.Dataset, o Options) (*Report, error) {
	rep := &Report{Run: r.ID, DatasetRecorded: d.ID.String(), Differences: []string{}}
	if !rep.findEntities(reg, d) {
		return rep, nil
	}
	moved, err := rep.checkSources(ctx, reg, d, o)
	if err != nil {
		return nil, err
	}
	table, rebuilt, err := rebuild(ctx, reg, d, moved, o)
	if err != nil {
		return nil, err
	}
	if err := rep.compareRows(ctx, d, rebuilt, table); err != nil {
		return nil, err
	}
	data := &trainer.Data{Table: table, Features: rebuilt.Features, TimestampColumn: rebuilt.TimestampColumn,
		Ref: trainer.DatasetRef{ID: rebuilt.ID.String(), FS: true, Rows: table.Rows}}
	res, err := trainer.Train(ctx, r.Request(), data, time.Now())
	if err != nil {
		return nil, fmt.Errorf("retrain: %w", err)
	}
	compareModels(rep, r, res.Best)
	compareScores(rep, r, res.Best)
	rep.Identical = rep.SameRows && rep.SameModel && rep.SameMetrics
	return rep, nil
}

// findEntities checks that the entity file is as it was (it is the rows
// of the dataset); a file moved within the project is found by its
// content. False: it is gone or changed, which the report says.
func (rep *Report) findEntities(reg featurestore.Registry, d *featurestore.Dataset) bool {
	sum, err := fileSHA(d.Entities.Path)
	same := err == nil && sum == d.Entities.Digest
	if root := projectRoot(reg); !same && root != "" {
		if found := findByDigest(root, d.Entities.Path, d.Entities.Digest); found != "" {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the entity file is not at %s as recorded; %s has its content and was used", d.Entities.Path, found))
			d.Entities.Path, same = found, true
		}
	}
	if !same {
		rep.EntitiesChanged = true
		rep.Differences = append(rep.Differences, fmt.Sprintf("the entity file %s is missing or changed since the dataset was built", d.Entities.Path))
	}
	return same
}

// checkSources compares each source's files with its snapshot (where
// they are, for a source at a URI); a local source moved within the
// project is found by its files' content, a bucket's objects are pinned
// as recorded. It returns where the rebuild reads them.
func (rep *Report) checkSources(ctx context.Context, reg featurestore.Registry, d *featurestore.Dataset, o Options) (*pins, error) {
	moved := &pins{paths: map[string]string{}, files: map[string][]string{}}
	for i, s := range d.Sources {
		if featurestore.IsTable(s.Path) {
			c, at, err := checkTableSource(ctx, o.Tables, s)
			if err != nil {
				return nil, err
			}
			rep.Sources, moved.paths[s.Name] = append(rep.Sources, c), at
			continue
		}
		if store, ok := blob.For(s.Path); ok {
			c, files, err := checkObjectSource(ctx, store, s)
			if err != nil {
				return nil, err
			}
			rep.Sources, moved.files[s.Name] = append(rep.Sources, c), files
			continue
		}
		if featurestore.IsURI(s.Path) {
			var src materialize.Sources
			if o.Engine != nil {
				src = o.Engine
			}
			c, err := checkRemoteSource(ctx, src, s)
			if err != nil {
				return nil, err
			}
			rep.Sources = append(rep.Sources, c)
			continue
		}
		if _, err := parquet.Files(s.Path); err != nil && projectRoot(reg) != "" {
			if at, snap, ok := relocate(projectRoot(reg), s); ok {
				rep.Notes = append(rep.Notes, fmt.Sprintf("source %s is not at %s as recorded; %s has its files' content and was used", s.Name, s.Path, at))
				moved.paths[s.Name], d.Sources[i] = at, snap
				s = snap
			}
		}
		rep.Sources = append(rep.Sources, checkSource(s))
	}
	return moved, nil
}

// pins are where the rebuild reads sources: local sources that moved,
// by name, and the objects of sources in buckets, as recorded.
type pins struct {
	paths map[string]string
	files map[string][]string
}

// rebuild materializes the dataset again: its pinned feature versions,
// on its entity file, as of its cutoff.
func rebuild(ctx context.Context, reg featurestore.Registry, d *featurestore.Dataset, moved *pins, o Options) (
	*featurestore.Table, *featurestore.Dataset, error) {
	var pinned []string
	for _, f := range d.Features {
		pinned = append(pinned, f.Name+"@"+f.Version.String())
	}
	job, err := materialize.Resolve(ctx, reg, materialize.Request{Features: pinned, Entities: d.Entities.Path,
		TimestampColumn: d.TimestampColumn, AsOf: d.Cutoff, Now: d.Cutoff, SourcePaths: moved.paths, SourceFiles: moved.files})
	if err != nil {
		return nil, nil, fmt.Errorf("resolve the recorded feature versions: %w", err)
	}
	table, rebuilt, err := job.Compute(ctx, materialize.Options{Engine: o.Engine, Tables: o.Tables, Allow: o.Allow, MemoryLimit: o.MemoryLimit})
	if err != nil {
		return nil, nil, fmt.Errorf("rebuild the dataset: %w", err)
	}
	return table, rebuilt, nil
}

// compareRows compares the rebuilt rows with the recorded file: written
// with the recorded metadata, identical rows give it byte for byte (the
// writer is deterministic).
func (rep *Report) compareRows(ctx context.Context, d, rebuilt *featurestore.Dataset, table *featurestore.Table) error {
	rep.DatasetRebuilt = rebuilt.ID.String()
	rep.SameDatasetID = rebuilt.ID == d.ID
	h := sha256.New()
	if err := parquet.WriteTable(h, table, materialize.Metadata(d)); err != nil {
		return err
	}
	rep.SameRows = hex.EncodeToString(h.Sum(nil)) == d.FileDigest
	changed := slices.ContainsFunc(rep.Sources, func(s SourceCheck) bool { return s.Changed && !s.AsRecorded })
	switch {
	case rep.SameRows && changed:
		rep.Notes = append(rep.Notes, "a source changed, but only in rows created after the cutoff "+
			d.Cutoff.UTC().Format(time.RFC3339Nano)+": the rebuilt rows are identical")
	case !rep.SameRows:
		rep.Differences = append(rep.Differences, describeRowDiff(ctx, d, table)...)
	}
	return nil
}

func checkSource(s featurestore.SourceSnapshot) SourceCheck {
	files, _ := parquet.Files(s.Path)
	return compareFiles(s, files, func(path string) (string, error) { return fileSHA(path) })
}

// checkRemoteSource compares a source at a URI with its snapshot, the
// files listed and hashed where they are.
func checkRemoteSource(ctx context.Context, src materialize.Sources, s featurestore.SourceSnapshot) (SourceCheck, error) {
	if src == nil {
		return SourceCheck{}, featurestore.Errorf(featurestore.EINVALID, "source %s is at %s, which fs reads only through Spark", s.Name, s.Path).
			WithHint("set SPARK_REMOTE to a Spark Connect server that reaches that storage")
	}
	files, err := src.Files(ctx, s.Path)
	if err != nil {
		files = nil // all of them gone: compareFiles says so
	}
	sums := map[string]string{}
	if len(files) > 0 {
		digests, err := src.Digests(ctx, files)
		if err != nil {
			return SourceCheck{}, err
		}
		for _, d := range digests {
			sums[d.Path] = d.SHA256
		}
	}
	return compareFiles(s, files, func(path string) (string, error) { return sums[path], nil }), nil
}

// compareFiles lists the files of a snapshot that were removed, modified
// or added, sha giving each file's digest now.
func compareFiles(s featurestore.SourceSnapshot, files []string, sha func(string) (string, error)) SourceCheck {
	c := SourceCheck{Name: s.Name, Path: s.Path, Files: []string{}}
	now := map[string]bool{}
	for _, f := range files {
		now[f] = true
	}
	for _, f := range s.Files {
		if !now[f.Path] {
			c.Files = append(c.Files, "removed "+f.Path)
			continue
		}
		delete(now, f.Path)
		if sum, err := sha(f.Path); err != nil || sum != f.SHA256 {
			c.Files = append(c.Files, "modified "+f.Path)
		}
	}
	for _, f := range files {
		if now[f] {
			c.Files = append(c.Files, "added "+f)
		}
	}
	c.Changed = len(c.Files) > 0
	return c
}

// describeRowDiff names the columns whose values differ from the recorded
// file, when it is still there.
func describeRowDiff(ctx context.Context, d *featurestore.Dataset, rebuilt *featurestore.Table) []string {
	if sum, err := fileSHA(d.Output); err != nil || sum != d.FileDigest {
		return []string{fmt.Sprintf("the rebuilt rows differ from the recorded dataset (its file %s is gone or changed, so the columns cannot be named)", d.Output)}
	}
	var names []string
	for _, s := range rebuilt.Series {
		names = append(names, s.Name)
	}
	old, _, err := parquet.ReadTable(ctx, []string{d.Output}, names)
	if err != nil || old.Rows != rebuilt.Rows {
		return []string{"the rebuilt rows differ from the recorded dataset"}
	}
	var out []string
	for i, s := range rebuilt.Series {
		o := old.Series[i]
		n := 0
		for r := 0; r < rebuilt.Rows; r++ {
			if fmt.Sprint(s.Value(r)) != fmt.Sprint(o.Value(r)) {
				n++
			}
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("column %s differs in %d of %d rows: the source changed before the cutoff", s.Name, n, rebuilt.Rows))
		}
	}
	if len(out) == 0 {
		out = []string{"the rebuilt rows differ from the recorded dataset"}
	}
	return out
}

// compareModels compares a retrained model with the recorded one: the
// same JSON (every coefficient, intercept, class and iteration count bit
// for bit, as JSON writes floats exactly), and when not, which
// coefficients differ.
func compareModels(rep *Report, r, again *trainer.Run) {
	a, _ := json.Marshal(r.Model)
	b, _ := json.Marshal(again.Model)
	rep.SameModel = r.Model != nil && string(a) == string(b)
	if rep.SameModel {
		return
	}
	if r.Model == nil || again.Model == nil {
		rep.Differences = append(rep.Differences, "the run records no model to compare with")
		return
	}
	diffs := coefDiff(r.Model.Coefficients(), again.Model.Coefficients(), r.Features)
	if len(diffs) == 0 {
		n, unit := r.Model.Effort()
		m, _ := again.Model.Effort()
		diffs = []string{fmt.Sprintf("the model differs: recorded %d %ss, rebuilt %d", n, unit, m)}
	}
	rep.Differences = append(rep.Differences, diffs...)
}

// coefDiff lists the coefficients and intercepts that differ.
func coefDiff(a, b *trainer.Coefficients, feats []featurestore.FeatureRef) []string {
	if a == nil || b == nil || len(a.Coef) != len(b.Coef) {
		return nil
	}
	var out []string
	for k := range a.Coef {
		col := ""
		if a.Columns[k] != "" {
			col = " (class " + a.Columns[k] + ")"
		}
		for i := range a.Coef[k] {
			if i < len(b.Coef[k]) && i < len(feats) && !sameFloat(a.Coef[k][i], b.Coef[k][i]) {
				out = append(out, fmt.Sprintf("coefficient of %s%s: recorded %v, rebuilt %v", feats[i].Name, col, a.Coef[k][i], b.Coef[k][i]))
			}
		}
		if !sameFloat(a.Intercept[k], b.Intercept[k]) {
			out = append(out, fmt.Sprintf("intercept%s: recorded %v, rebuilt %v", col, a.Intercept[k], b.Intercept[k]))
		}
	}
	return out
}

// compareScores compares every metric on the train and test rows; the
// ones that differ are named.
func compareScores(rep *Report, r, again *trainer.Run) {
	a, _ := json.Marshal([]any{r.Train, r.Test})
	b, _ := json.Marshal([]any{again.Train, again.Test})
	rep.SameMetrics = string(a) == string(b)
	if rep.SameMetrics || r.Test == nil || again.Test == nil {
		return
	}
	var diffs []string
	for _, set := range []struct {
		name string
		x, y trainer.Scores
	}{{"test", r.Test, again.Test}, {"train", r.Train, again.Train}} {
		for _, m := range set.x.Metrics() {
			if v, ok := set.y.Get(m.Name); ok && !sameFloat(m.Num, v) && !(math.IsNaN(m.Num) && math.IsNaN(v)) {
				diffs = append(diffs, fmt.Sprintf("%s %s %v, rebuilt %v", set.name, m.Name, m.Num, v))
			}
		}
	}
	if len(diffs) == 0 {
		diffs = []string{"the metrics differ"}
	}
	rep.Differences = append(rep.Differences, strings.Join(diffs, "; "))
}

func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
