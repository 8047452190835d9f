package pickertest

import "testing"

// TestCasesAreHard: the suite's random case has ties, null created
// times, rows created after the cutoff and entity rows that find
// nothing, so that a picker cannot pass it by accident.
func TestCasesAreHard(t *testing.T) {
	c := Cases()[0]
	ties, nullCreated, late, none := 0, 0, 0, 0
	seen := map[[3]any]bool{}
	for _, rows := range c.Files {
		for _, r := range rows {
			if r.Ts != nil && r.City != nil {
				k := [3]any{*r.City, r.Zone, r.Ts.Unix()}
				if seen[k] {
					ties++
				}
				seen[k] = true
			}
			switch {
			case r.Created == nil:
				nullCreated++
			case r.Created.After(c.Cutoff):
				late++
			}
		}
	}
	for _, e := range c.Entities {
		if c.pick(e) == nil {
			none++
		}
	}
	if ties < 50 || nullCreated < 20 || late < 50 || none < 20 {
		t.Errorf("ties %d, null created %d, created after the cutoff %d, entity rows without a row %d", ties, nullCreated, late, none)
	}
}
