package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore"
)

// countingOpener is a store directory that counts how often a use case
// takes it.
type countingOpener struct {
	dir           app.Dir
	reads, writes atomic.Int32
}

func (c *countingOpener) Dir() string { return c.dir.Dir() }

func (c *countingOpener) Read(ctx context.Context) (app.Store, func(), error) {
	c.reads.Add(1)
	return c.dir.Read(ctx)
}

func (c *countingOpener) Write(ctx context.Context) (app.Store, func(), error) {
	c.writes.Add(1)
	return c.dir.Write(ctx)
}

func project(t *testing.T) (string, *countingOpener) {
	t.Helper()
	dir := t.TempDir()
	if err := demo.Write(dir, demo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, ".fs")
	if _, err := badger.Init(store); err != nil {
		t.Fatal(err)
	}
	return dir, &countingOpener{dir: app.Dir(store)}
}

// TestRegisterChecksBeforeTakingTheStore: a definition file is read, its
// sources' schemas read and every expression compiled before the store is
// taken, so a file with errors never holds it and a good one holds it
// once, for the comparison and the write.
func TestRegisterChecksBeforeTakingTheStore(t *testing.T) {
	dir, opener := project(t)
	svc := &app.Service{Store: opener}
	ctx := context.Background()
	defs, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	bad := strings.Replace(string(defs), "avg_daily_trips / 24.0", "avg_daily_trips / missing_column", 1)
	_, err := svc.Register(ctx, app.RegisterRequest{File: "bad.yaml", Dir: dir, Content: bad})
	if featurestore.ErrorCode(err) != featurestore.EINVALID || !strings.Contains(err.Error(), "missing_column") {
		t.Fatalf("a bad file: %v", err)
	}
	if r, w := opener.reads.Load(), opener.writes.Load(); r+w != 0 {
		t.Fatalf("a file with errors took the store %d times for reading and %d for writing", r, w)
	}
	res, err := svc.Register(ctx, app.RegisterRequest{File: "features.yaml", Dir: dir, Content: string(defs)})
	if err != nil || len(res.Features) != 8 || len(res.Sources) != 2 {
		t.Fatalf("register: %v %+v", err, res)
	}
	if r, w := opener.reads.Load(), opener.writes.Load(); r != 0 || w != 1 {
		t.Fatalf("a good file took the store %d times for reading and %d for writing, want once for writing", r, w)
	}
}

// TestRequiredFieldsAreChecked: empty paths are refused by the request's
// own check, which a server's client runs too.
func TestRequiredFieldsAreChecked(t *testing.T) {
	for _, c := range []struct {
		check func() error
		want  string
	}{
		{app.MaterializeRequest{Entities: "orders.tsv"}.Check, "out is empty"},
		{app.MaterializeRequest{Out: "x.parquet"}.Check, "entities is empty"},
		{app.PredictRequest{Model: "abcd", Out: "p.parquet"}.Check, "input is empty"},
		{app.TrainRequest{Dataset: "train.parquet"}.Check, "target is empty"},
	} {
		if err := c.check(); err == nil || err.Error() != c.want || featurestore.ErrorHint(err) == "" {
			t.Errorf("%v, want %q with a hint", err, c.want)
		}
	}
}
