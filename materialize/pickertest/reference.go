package pickertest

import (
	"fmt"
	"testing"

	"github.com/fs-dev/fs/materialize"
)

// located is a source row with its place in the source.
type located struct {
	Row
	file, row int
}

// pick is the brute-force pick of entity row e: every source row looked
// at, the rules applied one by one. nil: none.
func (c Case) pick(e Entity) *located {
	var best *located
	for fi, rows := range c.Files {
		for ri, r := range rows {
			if !c.candidate(r, e) {
				continue
			}
			if !c.Created {
				r.Created = nil // not a column of the source
			}
			l := &located{r, fi, ri}
			if best == nil || later(l, best) {
				best = l
			}
		}
	}
	return best
}

// candidate: the same keys (none null), a timestamp by the event, created
// by the cutoff (or no created time).
func (c Case) candidate(r Row, e Entity) bool {
	if r.Zone != e.Zone || r.Ts == nil || r.Ts.After(e.Event) {
		return false
	}
	if c.Composite && (r.City == nil || e.City == nil || *r.City != *e.City) {
		return false
	}
	if c.Created && !c.Cutoff.IsZero() && r.Created != nil && r.Created.After(c.Cutoff) {
		return false
	}
	return true
}

// later orders candidates: timestamp, then created time (null first, and
// only when the source has one), then place in the source.
func later(a, b *located) bool {
	if !a.Ts.Equal(*b.Ts) {
		return a.Ts.After(*b.Ts)
	}
	ac, bc := a.Created, b.Created
	switch {
	case ac == nil && bc != nil:
		return false
	case ac != nil && bc == nil:
		return true
	case ac != nil && !ac.Equal(*bc):
		return ac.After(*bc)
	}
	if a.file != b.file {
		return a.file > b.file
	}
	return a.row > b.row
}

// check compares a picker's answer with the brute-force pick, entity row
// by entity row, and the created-time facts.
func (c Case) check(t *testing.T, in materialize.PickInput, got *materialize.Picked) {
	t.Helper()
	if got.Table == nil || got.Table.Rows != len(c.Entities) || len(got.Found) != len(c.Entities) || len(got.Ts) != len(c.Entities) {
		t.Fatalf("the pick has the wrong shape for %d entity rows", len(c.Entities))
	}
	found := 0
	for i, e := range c.Entities {
		want := c.pick(e)
		if (want != nil) != got.Found[i] {
			t.Fatalf("entity row %d: found %v, want %v", i, got.Found[i], want != nil)
		}
		if want == nil {
			for _, name := range in.Reads {
				if col := got.Table.Lookup(name); col == nil || !col.Null(i) {
					t.Fatalf("entity row %d found nothing, but %s is not null", i, name)
				}
			}
			continue
		}
		found++
		if got.Ts[i] != want.Ts.UnixNano() {
			t.Fatalf("entity row %d: picked the row at %d, want %v (file %d row %d)", i, got.Ts[i], want.Ts, want.file, want.row)
		}
		c.checkValues(t, i, want, got)
	}
	if len(c.Entities) > 100 && found < len(c.Entities)/3 && c.Cutoff.After(hour(0)) {
		t.Errorf("only %d of %d entity rows found a row: the case tests little", found, len(c.Entities))
	}
	anyCreated, byCutoff := c.createdFacts()
	if got.AnyCreated != anyCreated || got.CreatedByCutoff != byCutoff {
		t.Errorf("created facts: any %v by the cutoff %v, want %v %v", got.AnyCreated, got.CreatedByCutoff, anyCreated, byCutoff)
	}
}

// checkValues compares the columns the features read.
func (c Case) checkValues(t *testing.T, i int, want *located, got *materialize.Picked) {
	t.Helper()
	for _, cv := range []struct {
		name string
		want any
	}{{"x", deref(want.X)}, {"flag", deref(want.Flag)}, {"name", deref(want.Name)}, {"ts", want.Ts.UTC()}} {
		col := got.Table.Lookup(cv.name)
		if col == nil {
			t.Fatalf("the pick has no column %s", cv.name)
		}
		if g := col.Value(i); fmt.Sprint(g) != fmt.Sprint(cv.want) {
			t.Fatalf("entity row %d, %s: %v, want %v (file %d row %d)", i, cv.name, g, cv.want, want.file, want.row)
		}
	}
}

func deref[T any](v *T) any {
	if v == nil {
		return nil
	}
	return *v
}

// createdFacts: whether a source row has a created time, and one at or
// before the cutoff (both false without a cutoff or a created time).
func (c Case) createdFacts() (anyCreated, byCutoff bool) {
	if !c.Created || c.Cutoff.IsZero() {
		return false, false
	}
	for _, rows := range c.Files {
		for _, r := range rows {
			if r.Created != nil {
				anyCreated = true
				byCutoff = byCutoff || !r.Created.After(c.Cutoff)
			}
		}
	}
	return anyCreated, byCutoff
}
