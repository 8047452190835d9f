package parquet

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// MemoryLimit is the most memory fs lets one read of parquet data take, in
// bytes: FS_MEMORY_LIMIT (a number of bytes, or with KiB, MiB or GiB), by
// default three quarters of the machine's memory. A file whose footer
// declares more rows than fit is refused before anything is allocated for
// them (a few kilobytes of parquet can declare a billion rows).
var MemoryLimit = memoryLimit(os.Getenv("FS_MEMORY_LIMIT"))

func memoryLimit(env string) int64 {
	if n, err := ParseBytes(env); err == nil && n > 0 {
		return n
	}
	return physicalMemory() / 4 * 3
}

// DefaultBudget is the memory a command that can work in bounded memory
// (materialize, profile) allows itself when not told: 4 GiB, or
// MemoryLimit when that is lower.
func DefaultBudget() int64 { return min(4<<30, MemoryLimit) }

// ParseBytes reads "512MiB", "2GiB", "100KiB" or a plain number of bytes.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40} {
		if v, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = strings.TrimSpace(v), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with KiB, MiB or GiB)", s)
	}
	return n * mult, nil
}

// physicalMemory is MemTotal from /proc/meminfo, or 8 GiB where it cannot
// be read.
func physicalMemory() int64 {
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

// BytesPerRow is what a row of these columns takes in memory.
func BytesPerRow(schema featurestore.Schema) int64 {
	n := int64(0)
	for _, c := range schema {
		n += 9 // a value (a string header takes 16) and its validity
		if c.Type == transforms.String {
			n += 8
		}
	}
	return n
}

// checkMemory refuses a read of rows rows of schema that would take more
// than MemoryLimit.
func checkMemory(what string, rows int64, schema featurestore.Schema) error {
	need := rows * BytesPerRow(schema)
	if rows < 0 || need/max(BytesPerRow(schema), 1) != rows || need > MemoryLimit {
		return featurestore.Errorf(featurestore.EINVALID, "%s declares %d rows; reading %d columns of them needs about %s, more than fs's memory limit of %s",
			what, rows, len(schema), HumanBytes(need), HumanBytes(MemoryLimit)).
			WithHint("set FS_MEMORY_LIMIT (e.g. FS_MEMORY_LIMIT=32GiB) if the machine has the memory, or split the data")
	}
	return nil
}

// HumanBytes writes a size in GiB, MiB or bytes.
func HumanBytes(n int64) string {
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
