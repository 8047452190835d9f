package profile

import (
	"fmt"
	"math"
	"sort"
)

// warnings turns the profile into ranked findings.
func warnings(p *Profile, o Options) []Warning {
	var w []Warning
	add := func(score float64, format string, args ...any) {
		w = append(w, Warning{Message: fmt.Sprintf(format, args...), Score: score})
	}
	for _, c := range p.Columns {
		if c.Nulls > 0 {
			add(50+50*c.NullShare, "%s: %s nulls (%d of %d rows)", c.Name, sharePct(c.NullShare), c.Nulls, p.Rows)
		}
		if c.Count > 1 && c.Distinct == 1 {
			add(60, "%s is constant", c.Name)
		}
		if c.Outliers > 0 && c.Count > 0 {
			add(20+20*float64(c.Outliers)/float64(c.Count), "%s: %s by the IQR rule (%s of its values)", c.Name, plural(c.Outliers, "outlier"),
				sharePct(float64(c.Outliers)/float64(c.Count)))
		}
	}
	if m := p.Corr; m != nil {
		for a := range m.Names {
			for b := a + 1; b < len(m.Names); b++ {
				if r := m.Values[a][b]; r != nil && math.Abs(*r) > 0.95 {
					add(70+10*math.Abs(*r), "%s and %s are %.2f correlated", m.Names[a], m.Names[b], *r)
				}
			}
		}
	}
	t := p.Table
	if t.DuplicateRows > 0 {
		add(80, "%s", plural(t.DuplicateRows, "duplicate row"))
	}
	if t.DuplicateKeyTime > 0 {
		add(75, "%d duplicate (%s, %s) %s", t.DuplicateKeyTime, joinNames(t.EntityColumns), t.TimestampColumn, pluralWord(t.DuplicateKeyTime, "pair"))
	}
	if t.OutOfOrder > 0 {
		add(30, "%s out of %s order", plural(t.OutOfOrder, "row"), t.TimestampColumn)
	}
	if t.Entities > 1 && float64(t.RowsPerEntityMax) != t.RowsPerEntityMed {
		add(25, "%s %s has %d rows, others %s", joinNames(t.EntityColumns), t.MaxEntity, t.RowsPerEntityMax, trimFloat(t.RowsPerEntityMed))
	}
	if ta := p.Target; ta != nil && len(ta.Balance) > 1 && ta.Balance[0].Share > 0.7 {
		add(65, "%s is imbalanced: %s of rows are %s", ta.Name, sharePct(ta.Balance[0].Share), ta.Balance[0].Value)
	}
	sort.SliceStable(w, func(i, j int) bool { return w[i].Score > w[j].Score })
	if w == nil {
		w = []Warning{}
	}
	return w
}

// plural is "1 outlier" or "3 outliers".
func plural(n int, word string) string { return fmt.Sprintf("%d %s", n, pluralWord(n, word)) }

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func joinNames(n []string) string {
	if len(n) == 1 {
		return n[0]
	}
	return fmt.Sprint(n)
}

func sharePct(f float64) string {
	switch {
	case f >= 0.01:
		return fmt.Sprintf("%.0f%%", 100*f)
	case f >= 0.001:
		return fmt.Sprintf("%.1f%%", 100*f)
	}
	return fmt.Sprintf("%.2f%%", 100*f)
}

func trimFloat(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}
