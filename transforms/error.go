package transforms

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a problem found in an expression, with its 1-based line and
// column (counted in characters) inside the expression text.
type Error struct {
	Line, Column int
	Message      string
	Hint         string
	// Unknown is the name that is not in the environment, for an unknown
	// name error, so a caller can suggest from a wider list.
	Unknown string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message)
}

// position converts a rune offset in src to a 1-based line and column.
func position(src string, offset int) (line, col int) {
	line, col = 1, 1
	i := 0
	for _, r := range src {
		if i == offset {
			break
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i++
	}
	return line, col
}

func errAt(src string, offset int, hint, format string, args ...any) *Error {
	line, col := position(src, offset)
	return &Error{Line: line, Column: col, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// Suggest returns "did you mean X?" for the candidate closest to name, or ""
// when none is close enough to be a likely typo.
func Suggest(name string, candidates []string) string {
	best, bestD := "", -1
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := distance(strings.ToLower(name), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(name)/3 + 1
	if bestD < 0 || bestD > limit {
		return ""
	}
	return fmt.Sprintf("did you mean %s?", best)
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
