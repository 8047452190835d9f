// Package pickertest is the conformance suite of materialize.Picker:
// every engine that picks as-of rows (in memory, spilled, Spark, and the
// ones to come) runs it, and must agree with a brute-force pick written
// from the rules alone on every case.
//
// The rules: for each entity row, of the source rows with the same join
// keys (none null), a timestamp at or before the entity's event time and,
// with a cutoff, a created time that is null or at or before it, the
// latest by timestamp, then by created time (null first), then the last
// in the source (files in path order, rows in file order). The picked
// row's columns come back; an entity row with none gets nulls.
package pickertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/transforms"
)

// Run checks picker p on the suite's cases, writing their sources under
// dir.
func Run(t *testing.T, p materialize.Picker, dir string) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			in := c.write(t, filepath.Join(dir, c.slug()))
			got, err := p.Pick(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, in, got)
		})
	}
}

// Case is a source, entity rows and a cutoff.
type Case struct {
	Name      string
	Files     [][]Row // the source's rows, file by file
	Entities  []Entity
	Cutoff    time.Time // zero: none
	Created   bool      // the source has a created time
	Composite bool      // two join keys (city, zone) instead of one (zone)
}

// Row is a source row; a nil pointer is a null.
type Row struct {
	City    *string
	Zone    int64
	Ts      *time.Time
	Created *time.Time
	X       *float64
	Flag    *bool
	Name    *string
}

// Entity is an entity row: its keys (a nil City is a null key) and event
// time.
type Entity struct {
	City  *string
	Zone  int64
	Event time.Time
}

func (c Case) slug() string {
	return fmt.Sprintf("case-%x", []byte(c.Name))[:24]
}

// Cases are the suite: random sources with ties, nulls and created times
// after the cutoff; one integer key without a cutoff; every row created
// after the cutoff; entity keys the source lacks; an empty file; ties that
// only the created times break (none after the cutoff, or no cutoff).
func Cases() []Case {
	rng := rand.New(rand.NewPCG(3, 5))
	cutoff := hour(30)
	random := Case{Name: "composite keys, ties, created times, nulls", Composite: true, Created: true, Cutoff: cutoff,
		Files: [][]Row{randomRows(rng, 700), randomRows(rng, 500)}, Entities: randomEntities(rng, 900)}
	noCutoff := Case{Name: "one integer key, no cutoff", Files: [][]Row{randomRows(rng, 400), randomRows(rng, 300)},
		Entities: randomEntities(rng, 500)}
	late := Case{Name: "every row created after the cutoff", Created: true, Cutoff: hour(-1), Composite: true,
		Files: [][]Row{randomRows(rng, 200)}, Entities: randomEntities(rng, 100)}
	for i := range late.Files[0] {
		late.Files[0][i].Created = ptr(hour(50))
	}
	missing := Case{Name: "entity keys the source lacks", Composite: true, Files: [][]Row{randomRows(rng, 100)}}
	for i := range 50 {
		missing.Entities = append(missing.Entities, Entity{City: ptr("nowhere"), Zone: int64(i), Event: hour(100)})
	}
	empty := Case{Name: "an empty file among others", Composite: true, Created: true, Cutoff: cutoff,
		Files: [][]Row{randomRows(rng, 300), {}, randomRows(rng, 300)}, Entities: randomEntities(rng, 300)}
	// With no created time after the cutoff, or no cutoff, the created
	// times only break ties, and a picker may read them only then.
	byCutoff := Case{Name: "ties the created times break, none created after the cutoff", Composite: true, Created: true,
		Cutoff: hour(100), Files: [][]Row{randomRows(rng, 600)}, Entities: randomEntities(rng, 400)}
	createdNoCutoff := Case{Name: "ties the created times break, no cutoff", Composite: true, Created: true,
		Files: [][]Row{randomRows(rng, 400), randomRows(rng, 300)}, Entities: randomEntities(rng, 400)}
	return []Case{random, noCutoff, late, missing, empty, byCutoff, createdNoCutoff}
}

func hour(h int) time.Time { return time.Unix(0, 0).UTC().Add(time.Duration(h) * time.Hour) }

func ptr[T any](v T) *T { return &v }

func randomRows(rng *rand.Rand, n int) []Row {
	rows := make([]Row, n)
	maybe := func() bool { return rng.IntN(20) != 0 } // about one value in 20 is null
	for i := range rows {
		r := Row{Zone: rng.Int64N(4)}
		if maybe() {
			r.City = ptr([]string{"a", "b", "c", "d"}[rng.IntN(4)])
		}
		ts := hour(rng.IntN(40)) // many ties
		if maybe() {
			r.Ts = &ts
		}
		if maybe() {
			r.Created = ptr(ts.Add(time.Duration(rng.IntN(3)) * time.Hour))
		}
		if maybe() {
			r.X = ptr(rng.NormFloat64())
		}
		if maybe() {
			r.Flag = ptr(rng.IntN(2) == 0)
		}
		if maybe() {
			r.Name = ptr(fmt.Sprintf("r%d", rng.IntN(1000)))
		}
		rows[i] = r
	}
	return rows
}

func randomEntities(rng *rand.Rand, n int) []Entity {
	out := make([]Entity, n)
	for i := range out {
		e := Entity{Zone: rng.Int64N(5), Event: hour(rng.IntN(45)).Add(time.Duration(rng.IntN(2)) * time.Second)}
		if rng.IntN(30) != 0 {
			e.City = ptr([]string{"a", "b", "c", "d", "e"}[rng.IntN(5)])
		}
		out[i] = e
	}
	return out
}

// reads are the columns the features read: one of each type, and the
// timestamp (a feature may read it too).
var reads = []string{"x", "flag", "name", "ts"}

// columns are the join keys, and the columns a pick reads: the keys, the
// timestamps and reads.
func (c Case) columns() (keys, all []string) {
	keys = []string{"zone"}
	if c.Composite {
		keys = []string{"city", "zone"}
	}
	all = append(append([]string{}, keys...), "ts")
	if c.Created {
		all = append(all, "created")
	}
	return keys, append(all, "x", "flag", "name")
}

// write writes the source's files under dir and returns the pick's input.
func (c Case) write(t *testing.T, dir string) materialize.PickInput {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keys, cols := c.columns()
	var files []string
	for fi, rows := range c.Files {
		path := filepath.Join(dir, fmt.Sprintf("part-%d.parquet", fi))
		if err := writeRows(path, rows, c.Created); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	schema, _, err := parquet.Layout(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	src := featurestore.Source{Name: "s", Path: dir, Entity: "zone", TimestampField: "ts"}
	if c.Created {
		src.CreatedTimestampField = "created"
	}
	in := materialize.PickInput{Source: src, Files: files, JoinKeys: keys, Columns: cols, Reads: reads,
		Schema: schema, Cutoff: c.Cutoff}
	n := len(c.Entities)
	city, zone := featurestore.NewSeries("city", transforms.String, n), featurestore.NewSeries("zone", transforms.Int64, n)
	for i, e := range c.Entities {
		zone.I64[i] = e.Zone
		if e.City == nil {
			city.SetNull(i, n)
		} else {
			city.Str[i] = *e.City
		}
		in.Event = append(in.Event, e.Event.UnixNano())
	}
	in.EntityKeys = []*featurestore.Series{zone}
	if c.Composite {
		in.EntityKeys = []*featurestore.Series{city, zone}
	}
	return in
}

func writeRows(path string, rows []Row, created bool) error {
	n := len(rows)
	city, zone := featurestore.NewSeries("city", transforms.String, n), featurestore.NewSeries("zone", transforms.Int64, n)
	ts, cr := featurestore.NewSeries("ts", transforms.Timestamp, n), featurestore.NewSeries("created", transforms.Timestamp, n)
	x, flag := featurestore.NewSeries("x", transforms.Float64, n), featurestore.NewSeries("flag", transforms.Bool, n)
	name := featurestore.NewSeries("name", transforms.String, n)
	for i, r := range rows {
		zone.I64[i] = r.Zone
		setOr(city, i, n, r.City, func(v string) { city.Str[i] = v })
		setOr(ts, i, n, r.Ts, func(v time.Time) { ts.I64[i] = v.UnixNano() })
		setOr(cr, i, n, r.Created, func(v time.Time) { cr.I64[i] = v.UnixNano() })
		setOr(x, i, n, r.X, func(v float64) { x.F64[i] = v })
		setOr(flag, i, n, r.Flag, func(v bool) { flag.Bool[i] = v })
		setOr(name, i, n, r.Name, func(v string) { name.Str[i] = v })
	}
	t := &featurestore.Table{Rows: n, Series: []*featurestore.Series{city, zone, ts, x, flag, name}}
	if created {
		t.Series = append(t.Series, cr)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := parquet.WriteTable(f, t, nil); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// setOr sets row i with set, or to null.
func setOr[T any](s *featurestore.Series, i, n int, v *T, set func(T)) {
	if v == nil {
		s.SetNull(i, n)
		return
	}
	set(*v)
}
