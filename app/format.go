package app

import (
	"fmt"

	"github.com/fs-dev/fs/featurestore"
)

// FormatNulls is "15 of 790 (1.9%)" of rows, or "0".
func FormatNulls(nulls, rows int) string {
	if rows == 0 || nulls == 0 {
		return "0"
	}
	return fmt.Sprintf("%d of %d (%.3g%%)", nulls, rows, 100*float64(nulls)/float64(rows))
}

// FormatNum prints a metric or coefficient with six significant digits.
func FormatNum(f float64) string { return fmt.Sprintf("%.6g", f+0) } // +0 turns -0 into 0

// ShortID is an id's first featurestore.ShortLen characters.
func ShortID(s string) string {
	if len(s) > featurestore.ShortLen {
		return s[:featurestore.ShortLen]
	}
	return s
}
