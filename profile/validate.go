package profile

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

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
	out := []Violation{}
	bad := func(col, rule, format string, args ...any) {
		out = append(out, Violation{Column: col, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}
	names := make([]string, 0, len(e.Columns))
	for n := range e.Columns {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		exp := e.Columns[n]
		c, ok := schema.Lookup(n)
		if !ok {
			bad(n, "present", "column %s is missing", n)
			continue
		}
		if exp.Type != "" && exp.Type != string(c.Type) {
			bad(n, "type", "column %s is %s (%s), expected %s", n, c.Type, c.Physical, exp.Type)
			continue
		}
		if c.Type == "" {
			bad(n, "type", "column %s has parquet type %s, which fs cannot read", n, c.Physical)
			continue
		}
		t, _, err := parquet.ReadTable(ctx, files, []string{n})
		if err != nil {
			return nil, err
		}
		s := t.Series[0]
		nulls, below, above, notAllowed := 0, 0, 0, 0
		var firstBad string
		allowed := map[string]bool{}
		for _, a := range exp.Allowed {
			allowed[fmt.Sprint(a)] = true
		}
		for i := 0; i < t.Rows; i++ {
			if s.Null(i) || (s.Type == transforms.Float64 && math.IsNaN(s.F64[i])) {
				nulls++
				continue
			}
			if v, ok := num(s, i); ok {
				if exp.Min != nil && v < *exp.Min {
					below++
				}
				if exp.Max != nil && v > *exp.Max {
					above++
				}
			}
			if len(allowed) > 0 {
				val := fmt.Sprint(s.Value(i))
				if s.Type == transforms.Float64 {
					val = strconv.FormatFloat(s.F64[i], 'g', -1, 64)
				}
				if !allowed[val] {
					if notAllowed == 0 {
						firstBad = val
					}
					notAllowed++
				}
			}
		}
		if exp.NotNull && nulls > 0 {
			bad(n, "not_null", "column %s has %d nulls", n, nulls)
		}
		if exp.MaxNullShare != nil && t.Rows > 0 && float64(nulls)/float64(t.Rows) > *exp.MaxNullShare {
			bad(n, "max_null_share", "column %s is %s null, more than %s", n, sharePct(float64(nulls)/float64(t.Rows)), sharePct(*exp.MaxNullShare))
		}
		if below > 0 {
			bad(n, "min", "column %s has %d values below %v", n, below, *exp.Min)
		}
		if above > 0 {
			bad(n, "max", "column %s has %d values above %v", n, above, *exp.Max)
		}
		if notAllowed > 0 {
			bad(n, "allowed", "column %s has %d values outside the allowed ones (first: %s)", n, notAllowed, firstBad)
		}
	}
	if e.Exact {
		for _, c := range schema {
			if _, ok := e.Columns[c.Name]; !ok && c.Name != "__index_level_0__" {
				bad(c.Name, "exact", "unexpected column %s", c.Name)
			}
		}
	}
	if len(e.Unique) > 0 {
		var missing []string
		for _, u := range e.Unique {
			if _, ok := schema.Lookup(u); !ok {
				missing = append(missing, u)
			}
		}
		if len(missing) > 0 {
			bad("", "unique", "columns %v of the uniqueness check are missing", missing)
		} else {
			sc := newScanner(schema, e.Unique, Options{}, func() *hashSet { return &hashSet{limit: math.MaxInt} }, newEntityCounts(math.MaxInt, ""))
			if _, err := parquet.ScanRowGroups(ctx, files, e.Unique, sc.add); err != nil {
				return nil, err
			}
			d, err := sc.rowHash.duplicates()
			if err != nil {
				return nil, err
			}
			if d > 0 {
				bad("", "unique", "%d rows repeat an earlier (%s)", d, joinList(e.Unique))
			}
		}
	}
	return out, nil
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
