// Package format writes the numbers, ids and durations that fs shows
// people, the same way on the command line and in the web UI: a metric
// with six significant digits, an id in its short form, a null count with
// its share, a TTL in days, an expression on one line.
package format

import (
	"fmt"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// Nulls is "15 of 790 (1.9%)" of rows, or "0".
func Nulls(nulls, rows int) string {
	if rows == 0 || nulls == 0 {
		return "0"
	}
	return fmt.Sprintf("%d of %d (%.3g%%)", nulls, rows, 100*float64(nulls)/float64(rows))
}

// Num prints a metric or coefficient with six significant digits.
func Num(f float64) string { return fmt.Sprintf("%.6g", f+0) } // +0 turns -0 into 0

// ShortID is an id's first featurestore.ShortLen characters.
func ShortID(s string) string {
	if len(s) > featurestore.ShortLen {
		return s[:featurestore.ShortLen]
	}
	return s
}

// TTL is "7d", "90m0s", or "-" for none.
func TTL(d time.Duration) string { return featurestore.FormatTTL(d) }

// OneLine squeezes whitespace so an expression fits one line.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Plural is "1 run" or "3 runs".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
