package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/s3test"
)

// A materialize reads one version of each object, the one it first
// opened: an object replaced after that (here, after the job's context
// pinned it) is read as it was in every pass and in the snapshot from a
// bucket that keeps versions, and is a conflict that writes nothing from
// one that does not. Outside a job, the next materialize reads the new
// object.
func TestAJobReadsOneVersionOfEachObject(t *testing.T) {
	s3test.Setenv(t)
	other := t.TempDir()
	opts := demo.DefaultOptions()
	opts.Seed++
	if err := demo.Write(other, opts); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(other, "driver_stats.parquet"))
	for _, versioned := range []bool{true, false} {
		dir, opener := project(t)
		first, _ := os.ReadFile(filepath.Join(dir, "driver_stats.parquet"))
		bucket := s3test.Bucket(t, versioned)
		uri := "s3://" + bucket + "/driver_stats.parquet"
		s3test.Put(t, bucket, "driver_stats.parquet", first)
		svc := &app.Service{Store: opener.dir}
		ctx := context.Background()
		defs, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
		defs = []byte(strings.Replace(string(defs), "path: driver_stats.parquet", "path: "+uri, 1))
		if _, err := svc.Register(ctx, app.RegisterRequest{File: "features.yaml", Dir: dir, Content: string(defs)}); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "train.parquet")
		materialize := func(ctx context.Context) (*featurestore.Dataset, error) {
			return svc.Materialize(ctx, app.MaterializeRequest{Features: []string{"conv_rate", "engagement"},
				Entities: filepath.Join(dir, "orders.tsv"), Out: out, AsOf: app.Time{Time: time.Date(2021, 5, 1, 0, 0, 0, 0, time.UTC)}})
		}
		before, err := materialize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		written, _ := os.ReadFile(out)
		job := blob.WithPins(ctx)
		store, _ := blob.For(uri)
		pinned, err := blob.Stat(job, store, uri)
		if err != nil {
			t.Fatal(err)
		}
		s3test.Put(t, bucket, "driver_stats.parquet", second)
		ds, err := materialize(job)
		if now, _ := os.ReadFile(out); !versioned && string(now) != string(written) {
			t.Error("a failed materialize changed the earlier output")
		}
		switch {
		case !versioned && (featurestore.ErrorCode(err) != featurestore.ECONFLICT || !strings.Contains(featurestore.ErrorHint(err), "replaced")):
			t.Errorf("an object replaced in an unversioned bucket: %v (hint %q), want a conflict saying so", err, featurestore.ErrorHint(err))
		case versioned && err != nil:
			t.Errorf("an object replaced in a versioned bucket: %v", err)
		case versioned:
			snap := ds.Sources[0].Files[0]
			sum := sha256.Sum256(first)
			if ds.FileDigest != before.FileDigest || ds.Sources[0].Digest != before.Sources[0].Digest ||
				snap.SHA256 != hex.EncodeToString(sum[:]) || snap.Version != pinned.Version {
				t.Errorf("the pinned version read as %+v (output %s), want %+v (output %s)", ds.Sources[0], ds.FileDigest,
					before.Sources[0], before.FileDigest)
			}
		}
		after, err := materialize(ctx)
		if err != nil || after.Sources[0].Digest == before.Sources[0].Digest || after.FileDigest == before.FileDigest {
			t.Errorf("outside a job, the replaced object: %v, digest %s as before", err, before.Sources[0].Digest)
		}
	}
}
