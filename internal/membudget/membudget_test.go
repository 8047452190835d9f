package membudget

import (
	"context"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"1024": 1024, "256MB": 256e6, "2GB": 2e9, "2 GB": 2e9, "2gb": 2e9, "512MiB": 512 << 20, "2GiB": 2 << 30,
		"1.5GiB": 3 << 29, "100KiB": 100 << 10, "64K": 64 << 10, "1G": 1 << 30, "10B": 10, "0": 0,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1GB", "lots", "1e30", "NaN", "2 GiBs"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func TestBudgetFromContext(t *testing.T) {
	if b := FromContext(context.Background()); b.Ceiling <= 0 || b.Spill > b.Ceiling || b.Spill > DefaultSpill {
		t.Fatalf("default budget %+v", b)
	}
	b := Of(1 << 30)
	ctx := WithBudget(context.Background(), b)
	if got := FromContext(ctx); got != (Budget{Ceiling: 1 << 30, Spill: 1 << 30}) {
		t.Fatalf("FromContext = %+v", got)
	}
	if b.SpillAt(0) != 1<<30 || b.SpillAt(256<<20) != 256<<20 || b.SpillAt(8<<30) != 1<<30 {
		t.Fatalf("SpillAt: %d %d %d", b.SpillAt(0), b.SpillAt(256<<20), b.SpillAt(8<<30))
	}
}
