package profile

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

// Expectations are what a training pipeline's data validation step checks.
type Expectations struct {
	Columns map[string]ColumnExpectation `yaml:"columns" json:"columns"`
	// Unique lists columns whose combination must not repeat, such as
	// [driver_id, event_timestamp].
	Unique []string `yaml:"unique" json:"unique,omitempty"`
	// Exact: no columns other than those listed.
	Exact bool `yaml:"exact" json:"exact,omitempty"`
}

// ColumnExpectation is what one column must satisfy.
type ColumnExpectation struct {
	Type         string   `yaml:"type" json:"type,omitempty"` // float64, int64, bool, string, timestamp
	NotNull      bool     `yaml:"not_null" json:"not_null,omitempty"`
	Min          *float64 `yaml:"min" json:"min,omitempty"`
	Max          *float64 `yaml:"max" json:"max,omitempty"`
	Allowed      []any    `yaml:"allowed" json:"allowed,omitempty"`
	MaxNullShare *float64 `yaml:"max_null_share" json:"max_null_share,omitempty"`
}

// Violation is one failed expectation.
type Violation struct {
	Column  string `json:"column,omitempty"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Validate checks the files against e, reading one column at a time.
func Validate(ctx context.Context, path string, files []string, e *Expectations) ([]Violation, error) {
	schema, err := parquet.SchemaReader{}.ReadSchema(path)
	if err != nil {
		return nil, err
	}
	v := &violations{list: []Violation{}}
	for _, n := range slices.Sorted(maps.Keys(e.Columns)) {
		if err := v.column(ctx, schema, files, n, e.Columns[n]); err != nil {
			return nil, err
		}
	}
	if e.Exact {
		for _, c := range schema {
			if _, ok := e.Columns[c.Name]; !ok && c.Name != "__index_level_0__" {
				v.add(c.Name, "exact", "unexpected column %s", c.Name)
			}
		}
	}
	if err := v.unique(ctx, schema, files, e.Unique); err != nil {
		return nil, err
	}
	return v.list, nil
}

// violations collects what a file breaks.
type violations struct{ list []Violation }

func (v *violations) add(col, rule, format string, args ...any) {
	v.list = append(v.list, Violation{Column: col, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// column checks one column against its expectations: present, of its
// type, then its values.
func (v *violations) column(ctx context.Context, schema featurestore.Schema, files []string, n string, exp ColumnExpectation) error {
	c, ok := schema.Lookup(n)
	switch {
	case !ok:
		v.add(n, "present", "column %s is missing", n)
		return nil
	case exp.Type != "" && exp.Type != string(c.Type):
		v.add(n, "type", "column %s is %s (%s), expected %s", n, c.Type, c.Physical, exp.Type)
		return nil
	case c.Type == "":
		v.add(n, "type", "column %s has parquet type %s, which fs cannot read", n, c.Physical)
		return nil
	}
	t, _, err := parquet.ReadTable(ctx, files, []string{n})
	if err != nil {
		return err
	}
	cnt := countValues(t.Series[0], t.Rows, exp)
	if exp.NotNull && cnt.nulls > 0 {
		v.add(n, "not_null", "column %s has %d nulls", n, cnt.nulls)
	}
	if share := float64(cnt.nulls) / float64(t.Rows); exp.MaxNullShare != nil && t.Rows > 0 && share > *exp.MaxNullShare {
		v.add(n, "max_null_share", "column %s is %s null, more than %s", n, sharePct(share), sharePct(*exp.MaxNullShare))
	}
	if cnt.below > 0 {
		v.add(n, "min", "column %s has %d values below %v", n, cnt.below, *exp.Min)
	}
	if cnt.above > 0 {
		v.add(n, "max", "column %s has %d values above %v", n, cnt.above, *exp.Max)
	}
	if cnt.notAllowed > 0 {
		v.add(n, "allowed", "column %s has %d values outside the allowed ones (first: %s)", n, cnt.notAllowed, cnt.firstBad)
	}
	return nil
}

// valueCounts are a column's values that break an expectation.
type valueCounts struct {
	nulls, below, above, notAllowed int
	firstBad                        string
}

// countValues counts a column's nulls (NaN included), values below the
// minimum or above the maximum, and values not allowed.
func countValues(s *featurestore.Series, rows int, exp ColumnExpectation) valueCounts {
	var c valueCounts
	allowed := map[string]bool{}
	for _, a := range exp.Allowed {
		allowed[fmt.Sprint(a)] = true
	}
	for i := 0; i < rows; i++ {
		if s.Null(i) || (s.Type == transforms.Float64 && math.IsNaN(s.F64[i])) {
			c.nulls++
			continue
		}
		if x, ok := num(s, i); ok {
			if exp.Min != nil && x < *exp.Min {
				c.below++
			}
			if exp.Max != nil && x > *exp.Max {
				c.above++
			}
		}
		if len(allowed) == 0 {
			continue
		}
		val := fmt.Sprint(s.Value(i))
		if s.Type == transforms.Float64 {
			val = strconv.FormatFloat(s.F64[i], 'g', -1, 64)
		}
		if !allowed[val] {
			if c.notAllowed == 0 {
				c.firstBad = val
			}
			c.notAllowed++
		}
	}
	return c
}

// unique checks that no row repeats an earlier one on the columns given.
func (v *violations) unique(ctx context.Context, schema featurestore.Schema, files []string, cols []string) error {
	if len(cols) == 0 {
		return nil
	}
	var missing []string
	for _, u := range cols {
		if _, ok := schema.Lookup(u); !ok {
			missing = append(missing, u)
		}
	}
	if len(missing) > 0 {
		v.add("", "unique", "columns %v of the uniqueness check are missing", missing)
		return nil
	}
	sc := newScanner(schema, cols, Options{}, func() *hashSet { return &hashSet{limit: math.MaxInt} }, newEntityCounts(math.MaxInt, ""))
	if _, err := parquet.ScanRowGroups(ctx, files, cols, sc.add); err != nil {
		return err
	}
	d, err := sc.rowHash.duplicates()
	if err != nil {
		return err
	}
	if d > 0 {
		v.add("", "unique", "%d rows repeat an earlier (%s)", d, joinList(cols))
	}
	return nil
}

func joinList(n []string) string {
	s := ""
	for i, x := range n {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return s
}
