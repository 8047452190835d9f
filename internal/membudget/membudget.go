// Package membudget is the memory fs allows itself, and sizes as people
// write them.
//
// Two figures bound a command (Budget): its Ceiling, the most memory one
// read of data may take (a file whose footer declares more rows than fit
// is refused before anything is allocated for them: a few kilobytes of
// parquet can declare a billion rows), and its Spill threshold, past which
// a command that can work in bounded memory (materialize, profile) writes
// temporary files instead. A command gets them from its context
// (WithBudget): the command line sets them from FS_MEMORY_LIMIT and its
// flags, a server from its own flags, shared out among the jobs it runs at
// once, so that their budgets add up to less than the machine's memory.
// Nothing is read from the environment by this package.
package membudget

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Budget is the memory one command may take.
type Budget struct {
	Ceiling int64 // no single read may need more
	Spill   int64 // past this, bounded commands spill to disk
}

// DefaultSpill is the spill threshold when none is given: 4 GiB, or the
// ceiling when that is lower.
const DefaultSpill = 4 << 30

// Default is the budget of a command told nothing: a ceiling of three
// quarters of the machine's memory.
func Default() Budget { return Of(Physical() / 4 * 3) }

// Of is the budget under a ceiling: the spill threshold is 4 GiB, or the
// ceiling when that is lower.
func Of(ceiling int64) Budget { return Budget{Ceiling: ceiling, Spill: min(DefaultSpill, ceiling)} }

type key struct{}

// WithBudget returns a context whose commands work within b.
func WithBudget(ctx context.Context, b Budget) context.Context {
	return context.WithValue(ctx, key{}, b)
}

// FromContext is the context's budget, or Default.
func FromContext(ctx context.Context) Budget {
	if b, ok := ctx.Value(key{}).(Budget); ok {
		return b
	}
	return Default()
}

// SpillAt is the spill threshold a command uses: what it was asked for,
// else the budget's, and never more than the budget's ceiling.
func (b Budget) SpillAt(asked int64) int64 {
	if asked <= 0 {
		return b.Spill
	}
	return min(asked, b.Ceiling)
}

// units are the suffixes Parse reads, longest first: decimal (KB, MB, GB,
// TB, as disks and most people count) and binary (KiB, MiB, GiB, TiB).
var units = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// Parse reads a size as people write it: a number of bytes, or a number
// (with a fraction if need be) and a unit: KB, MB, GB, TB are powers of
// 1000; KiB, MiB, GiB, TiB and the bare K, M, G, T are powers of 1024.
// Units are read in any case ("2gb"), with or without a space.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f*float64(mult) >= 1<<62 || f != f {
		return 0, fmt.Errorf("%q is not a size: give bytes, or a number with KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024)", s)
	}
	return int64(f * float64(mult)), nil
}

// Human writes a size in GiB, MiB or bytes.
func Human(n int64) string {
	switch {
	case n < 0:
		return "more than 8 EiB"
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Physical is the machine's memory (MemTotal of /proc/meminfo), or 8 GiB
// where it cannot be read.
func Physical() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 8 << 30
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 8 << 30
}
