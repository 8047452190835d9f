package transforms

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
)

// MaxStringBytes is the longest string an expression may build for one
// value. expr's memory budget counts arrays and maps, not strings, so the
// operations that make strings longer (+, replace, upper, lower) check the
// length before they allocate, and a longer result is an error naming the
// row.
const MaxStringBytes = 1 << 20

// guarded are the builtins fs replaces with checked versions of the same
// name and meaning: their canonical text, and so every version, is
// unchanged.
var guarded = map[string]bool{"replace": true, "upper": true, "lower": true, "string": true, "int": true}

// guardOptions are the compile options that put the checked operations in
// place: string + and the integer +, - and * are overloaded, and the
// guarded builtins are functions.
func guardOptions() []expr.Option {
	return []expr.Option{
		expr.Function("fsConcat", concat, new(func(string, string) string)),
		expr.Operator("+", "fsConcat"),
		expr.Function("fsAdd", intOp(addInt), new(func(int, int) int)),
		expr.Operator("+", "fsAdd"),
		expr.Function("fsSub", intOp(subInt), new(func(int, int) int)),
		expr.Operator("-", "fsSub"),
		expr.Function("fsMul", intOp(mulInt), new(func(int, int) int)),
		expr.Operator("*", "fsMul"),
		expr.Function("replace", replaceChecked, strings.Replace, strings.ReplaceAll),
		expr.Function("upper", caseChecked(strings.ToUpper), strings.ToUpper),
		expr.Function("lower", caseChecked(strings.ToLower), strings.ToLower),
		expr.Function("string", stringOrNull, new(func(any) string)),
		expr.Function("int", intChecked, new(func(float64) int), new(func(int) int), new(func(string) int), new(func(any) int)),
	}
}

func tooLong(n int) error {
	return fmt.Errorf("the value would be a string of %d bytes, longer than the %d bytes fs allows", n, MaxStringBytes)
}

func concat(args ...any) (any, error) {
	a, b := args[0].(string), args[1].(string)
	if n := len(a) + len(b); n > MaxStringBytes {
		return nil, tooLong(n)
	}
	return a + b, nil
}

func replaceChecked(args ...any) (any, error) {
	s, old, repl := args[0].(string), args[1].(string), args[2].(string)
	n := -1
	if len(args) == 4 {
		switch v := args[3].(type) {
		case int:
			n = v
		default:
			return nil, fmt.Errorf("replace: the count must be an integer")
		}
	}
	count := strings.Count(s, old)
	if old == "" {
		count = utf8.RuneCountInString(s) + 1
	}
	if n >= 0 && n < count {
		count = n
	}
	if grow := len(repl) - len(old); grow > 0 && count > 0 && len(s)+count*grow > MaxStringBytes {
		return nil, tooLong(len(s) + count*grow)
	}
	return strings.Replace(s, old, repl, n), nil
}

// caseChecked refuses a case mapping longer than the limit (a rune's
// mapping is at most 3 times its bytes, so the result is bounded).
func caseChecked(f func(string) string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		out := f(args[0].(string))
		if len(out) > MaxStringBytes {
			return nil, tooLong(len(out))
		}
		return out, nil
	}
}

// stringOrNull is expr's string(), except that nil (a null) stays null
// rather than becoming the text "<nil>".
func stringOrNull(args ...any) (any, error) {
	if args[0] == nil {
		return nil, nil
	}
	return builtin.String(args[0]), nil
}

// intChecked is expr's int(), except that a float that no int64 holds
// (NaN, infinities, beyond ±9.2e18) is an error instead of the minimum
// int64.
func intChecked(args ...any) (any, error) {
	if f, ok := args[0].(float64); ok && (math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64) {
		return nil, fmt.Errorf("int(%v): no int64 holds it", f)
	}
	if args[0] == nil {
		return nil, nil
	}
	return builtin.Int(args[0]), nil
}

func intOp(f func(a, b int) (int, bool)) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		a, b := args[0].(int), args[1].(int)
		if v, ok := f(a, b); ok {
			return v, nil
		}
		return nil, fmt.Errorf("integer overflow: %d and %d give a value no int64 holds", a, b)
	}
}

func addInt(a, b int) (int, bool) {
	c := a + b
	return c, (c > a) == (b > 0)
}

func subInt(a, b int) (int, bool) {
	c := a - b
	return c, (c < a) == (b > 0)
}

func mulInt(a, b int) (int, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	return c, c/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64)
}
