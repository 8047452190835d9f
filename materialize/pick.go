package materialize

import (
	"context"
	"fmt"
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
	Reads    []string            // those the features read: the columns a pick must return (it may return more)
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
	// Rows is, when the Picker knows it, each entity row's source row
	// (numbered across the files in path order; -1: none), for messages.
	Rows []int64
	// AnyCreated says whether a source row has a created time, and
	// CreatedByCutoff whether one has it at or before the cutoff: with a
	// cutoff, when no row was created by it, every feature is null for
	// that reason, and the dataset says so.
	AnyCreated, CreatedByCutoff bool
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

// noteCreated notes, from a part of the source, whether it has a created
// time at or before the cutoff and whether it has one at all.
func (p *Picked) noteCreated(t *featurestore.Table, in PickInput) {
	created := t.Lookup(in.Source.CreatedTimestampField)
	if in.Cutoff.IsZero() || in.Source.CreatedTimestampField == "" || created == nil {
		return
	}
	cut := in.Cutoff.UnixNano()
	for i, v := range created.I64 {
		if p.CreatedByCutoff {
			return // and so AnyCreated: nothing more to learn
		}
		if !created.Null(i) {
			p.AnyCreated = true
			p.CreatedByCutoff = v <= cut
		}
	}
}

// where names the source row picked for entity row i in messages.
func (p *Picked) where(src string, i int) string {
	if p.Rows != nil {
		return fmt.Sprintf("source %s row %d", src, p.Rows[i]+1)
	}
	return fmt.Sprintf("the source %s row picked for entity row %d", src, i+1)
}

// AllCreatedAfter reports whether every source row with a created time
// was created after the cutoff.
func (p *Picked) AllCreatedAfter() bool { return p.AnyCreated && !p.CreatedByCutoff }

// newPicked is the pick's result before any row is found: every column
// of every entity row null.
func newPicked(in PickInput) *Picked {
	n := len(in.Event)
	out := &Picked{Table: &featurestore.Table{Rows: n}, Found: make([]bool, n), Ts: make([]int64, n), Rows: make([]int64, n)}
	for i := range out.Rows {
		out.Rows[i] = -1
	}
	for _, name := range in.Reads {
		c, _ := in.Schema.Lookup(name)
		s := featurestore.NewSeries(name, c.Type, n)
		s.Physical, s.Valid = c.Physical, make([]bool, n)
		out.Table.Series = append(out.Table.Series, s)
	}
	return out
}

// EventReader reads a source's events where they are (an Engine that also
// computes windowed aggregations' inputs): the events that can be
// candidates (a key, a time, created by the cutoff) of the entity keys,
// with a time in [From, To], their named columns in the source's order
// (files in path order, rows in file order). fs then computes the windows
// on them as on events it read itself, so both give the same bytes.
type EventReader interface {
	ReadEvents(ctx context.Context, in EventsInput) (*featurestore.Table, error)
}

// EventsInput is a windowed group's read.
type EventsInput struct {
	Source   featurestore.Source
	Files    []string // in fs's path order
	JoinKeys []string
	Columns  []string            // the columns to return (keys and timestamps included)
	Schema   featurestore.Schema // the source's: each column's type
	Cutoff   time.Time
	From, To int64                  // event times, ns
	Keys     []*featurestore.Series // the entity rows' keys (as JoinKeys)
}
