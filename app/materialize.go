package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/format"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/spark"
)

// MaterializeRequest asks for a point-in-time correct training set.
type MaterializeRequest struct {
	Features        []string `json:"features,omitempty"`    // NAME or NAME@VERSION, in output order
	FeatureSet      string   `json:"feature_set,omitempty"` // instead of Features
	Entities        string   `json:"entities"`              // CSV, TSV or parquet file
	Out             string   `json:"out"`                   // the parquet file to write
	AsOf            Time     `json:"as_of,omitzero"`        // the cutoff; zero: now
	TimestampColumn string   `json:"timestamp_column,omitempty"`
	// ServerSideOut is for a client of an fs server: Out is a path on the
	// server, which writes the file there instead of streaming it back.
	// A local service always writes Out.
	ServerSideOut bool `json:"server_side_out,omitempty"`
	// Engine picks the as-of rows: "local" (the default, in this process)
	// or "spark" (a Spark Connect server: SparkRemote, else $SPARK_REMOTE).
	Engine      string `json:"engine,omitempty"`
	SparkRemote string `json:"spark_remote,omitempty"`
	// VerifySources hashes every source file again instead of reusing the
	// digests of files whose size, times and inode did not change.
	VerifySources bool `json:"verify_sources,omitempty"`
	// MemoryLimit is the memory budget in bytes (0: the default, 4 GiB or
	// the command's memory ceiling if lower; never above that ceiling): a
	// larger source is spilled to the store's temporary directory in
	// partitions by join key.
	MemoryLimit int64 `json:"memory_limit,omitempty"`
	// Timings notes how long each step took, as notices.
	Timings bool `json:"timings,omitempty"`
	// KeepEntities copies the entity file into the store (by its content)
	// and records the copy: for a file that will not stay where it is (a
	// notebook's DataFrame written for the call), so that the dataset can
	// still be rebuilt.
	KeepEntities bool `json:"keep_entities,omitempty"`
	// Deliver is set by a server that writes Out in its outputs for a
	// client to copy to Deliver (the client's --out): both are checked.
	Deliver string `json:"-"`
}

// Materialize builds the training set, writes it to req.Out (through a
// temporary file) and records the dataset: on any error nothing is
// written or recorded. Progress goes to the context's progress function.
// Errors: EINVALID, ENOTFOUND, EFORBIDDEN.
func (s *Service) Materialize(ctx context.Context, req MaterializeRequest) (*featurestore.Dataset, error) {
	if err := req.Check(); err != nil {
		return nil, refused(err)
	}
	if err := s.checkPath("entities", req.Entities); err != nil {
		return nil, err
	}
	if err := s.checkOut("out", req.Out); err != nil {
		return nil, err
	}
	if req.KeepEntities {
		kept, err := keepEntities(s.Store.Dir(), req.Entities)
		if err != nil {
			return nil, err
		}
		req.Entities = kept
	}
	digests := s.digestCache()
	digests.Verify = req.VerifySources
	mreq := materialize.Request{Features: req.Features, FeatureSet: req.FeatureSet, Entities: req.Entities,
		TimestampColumn: req.TimestampColumn, Out: req.Out, Now: time.Now(), AsOf: req.AsOf.Time}
	var job *materialize.Job
	err := s.read(ctx, func(st Store) (err error) {
		job, err = materialize.Resolve(ctx, st, mreq)
		return err
	})
	if err != nil {
		return nil, err
	}
	opt := materialize.Options{Digests: digests, Tables: tables(), Deliver: req.Deliver, Keep: []string{s.Store.Dir()}, Allow: s.allowSourceFile,
		MemoryLimit: membudget.FromContext(ctx).SpillAt(req.MemoryLimit), SpillDir: badger.TempDir(s.Store.Dir()),
		TuneGC: s.SoleJob, Progress: progress(ctx), Notify: func(line string) { notify(ctx, "%s", line) }, Timings: req.Timings}
	engine, err := s.engine(ctx, req)
	if err != nil {
		return nil, err
	}
	if engine != nil {
		defer engine.Close()
		opt.Engine = engine
	}
	ds, err := job.Materialize(ctx, opt, func(ds *featurestore.Dataset) error {
		ds.Created = time.Now().UTC()
		return s.write(ctx, func(st Store) error { return st.RecordDataset(ctx, ds) })
	})
	if err != nil {
		return nil, err
	}
	if err := digests.Save(); err != nil {
		notify(ctx, "warning: could not keep the source files' digests (%v); the next materialize hashes them again", err)
	}
	warnNulls(ctx, ds)
	return ds, nil
}

// keepEntities copies an entity file into the store's entities directory,
// named by the SHA-256 of its bytes (with its extension), unless a copy
// is there already, and returns the copy's path.
func keepEntities(store, path string) (string, error) {
	sum, _, err := materialize.FileSHA256(path)
	if err != nil {
		return "", featurestore.Errorf(featurestore.EINVALID, "cannot read the entity file %s: %v", path, err)
	}
	kept := filepath.Join(badger.EntitiesDir(store), sum[:32]+strings.ToLower(filepath.Ext(path)))
	if _, err := os.Stat(kept); err == nil {
		return kept, nil
	}
	data, err := os.ReadFile(path)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(kept), 0o755)
	}
	if err == nil {
		err = atomicfile.Write(kept, data)
	}
	if err != nil {
		return "", fmt.Errorf("keep the entity file in the store: %w", err)
	}
	return kept, nil
}

// Check refuses a request missing what it needs, before anything runs (a
// client checks it too, before it creates its output).
func (r MaterializeRequest) Check() error {
	return required(need{"entities", r.Entities, whatEntities}, need{"out", r.Out, whatOut})
}

// DigestsFile, in the store directory, keeps the source files' digests
// with their sizes, times and inodes.
const DigestsFile = "digests.json"

// Engines of MaterializeRequest.
const (
	EngineLocal = "local"
	EngineSpark = "spark"
)

// engine connects to Spark for the spark engine; nil for the local one.
func (s *Service) engine(ctx context.Context, req MaterializeRequest) (*spark.Engine, error) {
	switch req.Engine {
	case "", EngineLocal:
		return nil, nil
	case EngineSpark:
	default:
		return nil, featurestore.Errorf(featurestore.EINVALID, "engine %q: give local or spark", req.Engine)
	}
	if s.Roots != nil && req.SparkRemote != "" && req.SparkRemote != s.getenv("SPARK_REMOTE") {
		// A server connects only to its own Spark: a client must not make it dial any address.
		return nil, featurestore.Errorf(EFORBIDDEN, "spark_remote: this fs server uses its own Spark Connect server").
			WithHint("leave out --spark-remote: the server's operator sets SPARK_REMOTE where fs serve runs")
	}
	return s.connectSpark(ctx, req.SparkRemote, sparkEngine)
}

const sparkEngine = "the spark engine"

// connectSpark connects to the Spark Connect server remote, else
// $SPARK_REMOTE; why says what needs it, for the error.
func (s *Service) connectSpark(ctx context.Context, remote, why string) (*spark.Engine, error) {
	if remote == "" {
		remote = s.getenv("SPARK_REMOTE")
	}
	if remote == "" {
		e := featurestore.Errorf(featurestore.EINVALID, "%s needs a Spark Connect server", why)
		if why == sparkEngine {
			return nil, e.WithHint("give --spark-remote sc://HOST:PORT or set SPARK_REMOTE")
		}
		return nil, e.WithHint("set SPARK_REMOTE=sc://HOST:PORT, a Spark Connect server that reaches that storage")
	}
	return spark.Connect(ctx, remote)
}

// warnNulls warns of features that are mostly or entirely null, and why
// when fs knows.
func warnNulls(ctx context.Context, ds *featurestore.Dataset) {
	for _, n := range ds.Nulls {
		if n.Inf > 0 {
			notify(ctx, "warning: %s is infinite (+Inf or -Inf) in %s: its expression divided by zero or overflowed there; "+
				"fs train refuses such rows (guard it: y != 0 ? x / y : nil)", n.Name, format.Nulls(n.Inf, ds.Rows))
		}
		if !n.MostlyNull(ds.Rows) {
			continue
		}
		msg := "warning: " + n.Name + " is null in " + format.Nulls(n.Nulls, ds.Rows)
		if n.Reason != "" {
			msg += ": " + n.Reason
		}
		notify(ctx, "%s", msg)
	}
}

// Datasets lists the recorded datasets, newest first.
func (s *Service) Datasets(ctx context.Context) (ds []featurestore.Dataset, err error) {
	err = s.read(ctx, func(st Store) error {
		ds, err = st.Datasets(ctx)
		return err
	})
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Created.After(ds[j].Created) })
	return ds, err
}

// Dataset shows one dataset by id or unique prefix. Errors: ENOTFOUND,
// EINVALID (an ambiguous prefix).
func (s *Service) Dataset(ctx context.Context, prefix string) (d *featurestore.Dataset, err error) {
	err = s.read(ctx, func(st Store) error {
		id, err := st.ResolveDataset(ctx, prefix)
		if err != nil {
			return err
		}
		d, err = st.Dataset(ctx, id)
		return err
	})
	return d, err
}
