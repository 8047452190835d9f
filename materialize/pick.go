package materialize

import (
	"context"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// Picker picks the as-of source rows somewhere else than in this process
// (Spark): for every entity row, the source row fs's rules choose (the
// latest at or before the event time, created by the cutoff; ties to the
// latest created time, then to the row last in the source, files in path
// order), with the columns the features read. fs then evaluates the
// expressions on those rows as it does on its own picks, so both ways give
// the same bytes.
type Picker interface {
	Pick(ctx context.Context, in PickInput) (*Picked, error)
}

// PickInput is one source group's pick.
type PickInput struct {
	Source   featurestore.Source
	Files    []string // in fs's path order
	JoinKeys []string
	Columns  []string            // the source columns the group reads (keys and timestamps included)
	Schema   featurestore.Schema // the source's, from its footers: each column's type
	Cutoff   time.Time
	// The entity rows: their keys (as JoinKeys) and event times (ns).
	EntityKeys []*featurestore.Series
	Event      []int64
}

// Picked is, for each entity row in order, whether a source row was
// picked, its timestamp (ns) and its Columns (the table has one row per
// entity row; null where nothing was picked).
type Picked struct {
	Table *featurestore.Table
	Found []bool
	Ts    []int64
}

// Sources reads the sources at URIs (featurestore.IsURI): where they are,
// since fs cannot: their files, schemas, row counts and each file's
// SHA-256.
type Sources interface {
	Files(ctx context.Context, path string) ([]string, error)
	Schema(ctx context.Context, path string) (featurestore.Schema, error)
	Rows(ctx context.Context, files []string) (int64, error)
	Digests(ctx context.Context, files []string) ([]featurestore.FileSnapshot, error)
}
