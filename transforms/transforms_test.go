package transforms

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestCanonical(t *testing.T) {
	cases := []struct{ in, want string }{
		{"avg_daily_trips / 24.0", "(avg_daily_trips / 24.0)"},
		{"  avg_daily_trips/24.0  ", "(avg_daily_trips / 24.0)"},
		{"((avg_daily_trips) / (24.0))", "(avg_daily_trips / 24.0)"},
		{"a / 24", "(a / 24)"},
		{"a + b * c", "(a + (b * c))"},
		{"(a + b) * c", "((a + b) * c)"},
		{"a + b + c", "((a + b) + c)"},
		{"a + (b + c)", "(a + (b + c))"},
		{"a and not b", "(a && (!b))"},
		{"a && !b", "(a && (!b))"},
		{"a ^ 2", "(a ** 2)"},
		{"-1.5 * x", "((-1.5) * x)"},
		{"1e3 + x", "(1000.0 + x)"},
		{"1.5e300 + x", "(1.5e+300 + x)"},
		{"conv_rate ?? 0", "(conv_rate ?? 0)"},
		{`name in ["a", "b"]`, `(name in ["a", "b"])`},
		{`name not in ["a"]`, `(!(name in ["a"]))`},
		{"x > 1 ? 'hi' : \"lo\\n\"", `((x > 1) ? "hi" : "lo\n")`},
		{"let y = x * 2; y + 1", "(let y = (x * 2); (y + 1))"},
		{"round(abs(x))", "round(abs(x))"},
		{"1_000 + x", "(1000 + x)"},
	}
	for _, c := range cases {
		e, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := e.Canonical(); got != c.want {
			t.Errorf("Canonical(%q) = %q, want %q", c.in, got, c.want)
		}
		again, err := Parse(e.Canonical())
		if err != nil {
			t.Errorf("Parse(canonical %q): %v", e.Canonical(), err)
			continue
		}
		if again.Canonical() != e.Canonical() {
			t.Errorf("not a fixpoint: %q -> %q", e.Canonical(), again.Canonical())
		}
	}
}

func TestNames(t *testing.T) {
	e, err := Parse("let y = a * 2; y + b + a + round(c)")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Names(), ","); got != "a,b,c" {
		t.Errorf("Names = %s, want a,b,c", got)
	}
	if e.HandlesNull() {
		t.Error("HandlesNull = true for an expression without ?? or nil")
	}
	e, _ = Parse("a ?? 0")
	if !e.HandlesNull() {
		t.Error("HandlesNull = false for a ?? 0")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in        string
		line, col int
		msg, hint string
	}{
		{"a +* b", 1, 4, "unexpected token", ""},
		{"now() + 1", 1, 1, "now() is not supported", "pure builtins"},
		{"keys(x)", 1, 1, "keys() is not supported", ""},
		{"a.b", 1, 3, "member access", ""},
		{"foo(1)", 1, 1, "foo() is not supported", ""},
		{"a + (b", 1, 6, "", "parentheses"},
		{"", 1, 1, "empty expression", ""},
		{"a + b\n+ $env", 2, 3, "$env", ""},
		{`name == "Px\UEEEEEEEE00M"`, 1, 9, "bytes that are not UTF-8", "at most U+10FFFF"},
		{strings.Repeat("a + ", 3000) + "a", 1, 1, "", ""},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%.40q) = %v, want *Error", c.in, err)
			continue
		}
		if len(c.in) < 100 && (e.Line != c.line || e.Column != c.col) {
			t.Errorf("Parse(%q): at %d:%d, want %d:%d (%s)", c.in, e.Line, e.Column, c.line, c.col, e.Message)
		}
		if !strings.Contains(e.Message, c.msg) || !strings.Contains(e.Hint, c.hint) {
			t.Errorf("Parse(%q): %q hint %q, want %q hint %q", c.in, e.Message, e.Hint, c.msg, c.hint)
		}
	}
}

// `a ?: b` is a ? a : b with a shared; nested, the shared part doubles at
// every level. Parse must count it as printed and refuse quickly, not walk
// or print 2^40 nodes.
func TestElvisNestingIsBounded(t *testing.T) {
	small := "((a ?: b) ?: c)"
	e, err := Parse(small)
	if err != nil {
		t.Fatal(err)
	}
	if want := "((a ? a : b) ? (a ? a : b) : c)"; e.Canonical() != want {
		t.Errorf("canonical %q, want %q", e.Canonical(), want)
	}
	deep := strings.Repeat("(", 40) + "a" + strings.Repeat(" ?: a)", 40)
	done := make(chan error, 1)
	go func() { _, err := Parse(deep); done <- err }()
	select {
	case err := <-done:
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Message, "more than 2000 syntax nodes") || !strings.Contains(pe.Hint, "?:") {
			t.Fatalf("Parse(40 nested ?:) = %v, want the node limit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Parse(40 nested ?:) did not return in 10 s")
	}
}

func TestCanonicalLengthLimit(t *testing.T) {
	for name, src := range map[string]string{
		"raw control characters": `"` + strings.Repeat("\x01", 4200) + `"`, // each prints as 4 bytes
		"shared by ?:":           `("` + strings.Repeat("x", 9000) + `" ?: b) == b`,
	} {
		if len(src) > MaxLen {
			t.Fatalf("%s: source itself is %d bytes", name, len(src))
		}
		_, err := Parse(src)
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Message, "canonical form is longer than the limit of 16 KiB") {
			t.Errorf("%s: Parse = %v, want the canonical length limit", name, err)
		}
	}
	// Just under: 4,095 raw control characters print as 16,382 bytes.
	src := `"` + strings.Repeat("\x01", (MaxLen-2)/4) + `"`
	e, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Canonical()) != 4*((MaxLen-2)/4)+2 {
		t.Errorf("canonical is %d bytes, want %d", len(e.Canonical()), 4*((MaxLen-2)/4)+2)
	}
}

// Near the node limit, whatever the construct, an accepted expression's
// canonical form is accepted too: the fixpoint holds at the boundary. The
// padding is a flat list literal, one node per element, so depth stays low.
func TestNodeLimitBoundaryFixpoint(t *testing.T) {
	for _, base := range []string{
		"a", "(a ?: b)", "((a ?: b) ?: c)", "(if a { b } else { c })", "(a not in [1, 2])",
		"(a | abs())", "max(a, b, 1)", "(let v = a; v * v)", "(a ? b : c)", "-1", "(x ?? 0)",
	} {
		pad := func(k int) string { return base + " in [" + strings.Repeat("1, ", k) + "1]" }
		accepted := func(k int) bool { _, err := Parse(pad(k)); return err == nil }
		lo, hi := 0, MaxNodes // accepted(lo), !accepted(hi)
		if !accepted(lo) || accepted(hi) {
			t.Fatalf("%q: accepted(0)=%v accepted(%d)=%v", base, accepted(lo), hi, accepted(hi))
		}
		for hi-lo > 1 {
			if m := (lo + hi) / 2; accepted(m) {
				lo = m
			} else {
				hi = m
			}
		}
		e, _ := Parse(pad(lo))
		e2, err := Parse(e.Canonical())
		if err != nil {
			t.Errorf("%q padded to the limit: canonical form refused: %v", base, err)
			continue
		}
		if e2.Canonical() != e.Canonical() {
			t.Errorf("%q padded to the limit: not a fixpoint", base)
		}
		if _, err := Parse(pad(lo + 1)); err == nil || !strings.Contains(err.Error(), "syntax nodes") {
			t.Errorf("%q padded past the limit: %v, want the node limit", base, err)
		}
	}
}

var env = Env{"conv_rate": Float64, "acc_rate": Float64, "avg_daily_trips": Int64, "name": String, "active": Bool}

func compile(t *testing.T, src string, want Type) (*Program, error) {
	t.Helper()
	e, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return Compile(e, env, want)
}

func TestCompileTypes(t *testing.T) {
	cases := []struct {
		src  string
		want Type
		out  Type
	}{
		{"avg_daily_trips / 24.0", "", Float64},
		{"avg_daily_trips / 24", "", Float64},
		{"avg_daily_trips * 2", "", Int64},
		{"avg_daily_trips * 2", Float64, Float64},
		{"conv_rate > 0.5", "", Bool},
		{"upper(name)", "", String},
		{"conv_rate ?? 0", "", Float64},
		{"active ? 1 : 0", "", Int64},
	}
	for _, c := range cases {
		p, err := compile(t, c.src, c.want)
		if err != nil {
			t.Errorf("Compile(%q): %v", c.src, err)
			continue
		}
		if p.Output() != c.out {
			t.Errorf("Compile(%q).Output() = %s, want %s", c.src, p.Output(), c.out)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		src       string
		want      Type
		col       int
		msg, hint string
	}{
		{"conv_rate * acc_rat", "", 13, "unknown name acc_rat", "did you mean acc_rate?"},
		{"zzz + 1", "", 1, "unknown name zzz", ""},
		{"name * 2", "", 6, "invalid operation", ""},
		{"conv_rate > 1", Float64, 1, "gives bool but the feature declares type float64", "type: bool"},
		{"conv_rate * 2", Int64, 1, "gives float64", ""},
	}
	for _, c := range cases {
		_, err := compile(t, c.src, c.want)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Compile(%q) = %v, want *Error", c.src, err)
			continue
		}
		if e.Column != c.col || !strings.Contains(e.Message, c.msg) || !strings.Contains(e.Hint, c.hint) {
			t.Errorf("Compile(%q) = col %d %q hint %q; want col %d %q hint %q", c.src, e.Column, e.Message, e.Hint, c.col, c.msg, c.hint)
		}
	}
}

func TestEvalNulls(t *testing.T) {
	row := func(conv any) map[string]any {
		return map[string]any{"conv_rate": conv, "acc_rate": 0.5, "avg_daily_trips": 48}
	}
	cases := []struct {
		src  string
		row  map[string]any
		want any
	}{
		{"conv_rate * acc_rate", row(0.5), 0.25},
		{"conv_rate * acc_rate", row(nil), nil},
		{"conv_rate > 0.1", row(nil), nil},
		{"conv_rate ?? 0", row(nil), 0.0},
		{"(conv_rate ?? 0.2) * acc_rate", row(nil), 0.1},
		{"conv_rate == nil ? -1.0 : conv_rate", row(nil), -1.0},
		{"conv_rate == nil ? -1.0 : conv_rate", row(0.3), 0.3},
		{"conv_rate * acc_rate + (avg_daily_trips ?? 0)", row(nil), nil},
		{"avg_daily_trips / 24.0", row(0.1), 2.0},
		{"avg_daily_trips", row(0.1), 48.0},
	}
	for _, c := range cases {
		p, err := compile(t, c.src, "")
		if c.src == "avg_daily_trips" {
			p, err = compile(t, c.src, Float64)
		}
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.src, err)
		}
		got, err := p.NewEvaluator().Eval(c.row)
		if err != nil {
			t.Errorf("Eval(%q): %v", c.src, err)
			continue
		}
		if f, ok := got.(float64); ok && c.want != nil {
			if w, _ := c.want.(float64); math.Abs(f-w) > 1e-15 {
				t.Errorf("Eval(%q) = %v, want %v", c.src, got, c.want)
			}
		} else if got != c.want {
			t.Errorf("Eval(%q) = %v (%T), want %v", c.src, got, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"acc_rate", "conv_rate", "avg_daily_trips"}
	if got := Suggest("avg_daily_trip", names); got != "did you mean avg_daily_trips?" {
		t.Errorf("Suggest = %q", got)
	}
	if got := Suggest("completely_else", names); got != "" {
		t.Errorf("Suggest for a far name = %q, want none", got)
	}
}

// FuzzCanonical checks that canonical printing is a fixpoint and that it is
// all that matters: two texts with the same canonical form parse to trees
// that print the same.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		"avg_daily_trips / 24.0", "a+b*c", "-(1.5)", "x ?? 0", `s in ["a", 'b']`,
		"let v = a; v * v", "a ? b : c", "round(a, 2)", "1e-7 * a", "\"\\x00\\u00e9\"",
		"not a or b and c", "a ** -2", "0x1F + 0b10", "max(a, b, 1)",
		"((a ?: b) ?: c)", "if a { b } else { c }", "a not in [1]", "a | abs()",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tm := time.AfterFunc(3*time.Second, func() { panic(fmt.Sprintf("slow: %d bytes: %.200q", len(src), src)) })
		defer tm.Stop()
		e, err := Parse(src)
		if err != nil {
			return
		}
		// Inputs are shown cut to 200 bytes with their lengths, so the
		// reason survives a CI log that drops long lines.
		c1 := e.Canonical()
		e2, err := Parse(c1)
		if err != nil {
			t.Fatalf("canonical form (%d bytes) of input (%d bytes) %.200q does not parse: %v", len(c1), len(src), src, err)
		}
		if c2 := e2.Canonical(); c2 != c1 {
			t.Fatalf("not a fixpoint: %.200q -> %.200q -> %.200q", src, c1, c2)
		}
		if strings.Join(e.Names(), ",") != strings.Join(e2.Names(), ",") {
			t.Fatalf("names differ for %.200q: %.200v vs %.200v", src, e.Names(), e2.Names())
		}
	})
}
