package transforms

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The column form against the row form on random expressions and data:
// the same value (bits), null or error on every row.

// diffEnv is the columns random expressions read.
var diffEnv = Env{"a": Float64, "b": Float64, "i": Int64, "j": Int64, "p": Bool, "q": Bool, "s": String, "t": String}

// genExpr writes a random expression of about depth levels giving want.
func genExpr(r *rand.Rand, want Type, depth int) string {
	if depth <= 0 || r.IntN(4) == 0 {
		return genLeaf(r, want)
	}
	switch want {
	case Float64:
		switch r.IntN(9) {
		case 0:
			return fmt.Sprintf("(%s %s %s)", genNum(r, depth-1), pickOf(r, "+", "-", "*", "/", "**"), genNum(r, depth-1))
		case 1:
			return fmt.Sprintf("%s(%s)", pickOf(r, "ceil", "floor", "round", "float", "abs"), genNum(r, depth-1))
		case 2:
			return fmt.Sprintf("(%s ? %s : %s)", genExpr(r, Bool, depth-1), genNum(r, depth-1), genNum(r, depth-1))
		case 3:
			return fmt.Sprintf("(%s ?? %s)", genNum(r, depth-1), genNum(r, depth-1))
		case 4:
			return fmt.Sprintf("-%s", genExpr(r, Float64, depth-1))
		case 5:
			return fmt.Sprintf("+%s", genExpr(r, Float64, depth-1))
		}
		return fmt.Sprintf("(%s %s %s)", genExpr(r, Float64, depth-1), pickOf(r, "+", "-", "*"), genExpr(r, Float64, depth-1))
	case Int64:
		switch r.IntN(6) {
		case 0:
			return fmt.Sprintf("int(%s)", genNum(r, depth-1))
		case 1:
			return fmt.Sprintf("abs(%s)", genExpr(r, Int64, depth-1))
		case 2:
			return fmt.Sprintf("(%s ? %s : %s)", genExpr(r, Bool, depth-1), genExpr(r, Int64, depth-1), genExpr(r, Int64, depth-1))
		case 3:
			return fmt.Sprintf("-%s", genExpr(r, Int64, depth-1))
		}
		return fmt.Sprintf("(%s %s %s)", genExpr(r, Int64, depth-1), pickOf(r, "+", "-", "*", "%"), genExpr(r, Int64, depth-1))
	case Bool:
		switch r.IntN(6) {
		case 0:
			return fmt.Sprintf("(%s %s %s)", genNum(r, depth-1), pickOf(r, "<", "<=", ">", ">=", "==", "!="), genNum(r, depth-1))
		case 1:
			return fmt.Sprintf("(%s %s %s)", genExpr(r, String, depth-1), pickOf(r, "<", ">=", "==", "!="), genExpr(r, String, depth-1))
		case 2:
			return fmt.Sprintf("(%s %s %s)", genExpr(r, Bool, depth-1), pickOf(r, "&&", "||", "and", "or", "==", "!="), genExpr(r, Bool, depth-1))
		case 3:
			return fmt.Sprintf("%s%s", pickOf(r, "!", "not "), genExpr(r, Bool, depth-1))
		case 4:
			return fmt.Sprintf("(%s %s nil)", genExpr(r, pickOf(r, Float64, Int64, Bool, String), depth-1), pickOf(r, "==", "!="))
		}
		return fmt.Sprintf("(%s ?? %s)", genExpr(r, Bool, depth-1), genExpr(r, Bool, depth-1))
	}
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("(%s ? %s : %s)", genExpr(r, Bool, depth-1), genExpr(r, String, depth-1), genExpr(r, String, depth-1))
	case 1:
		return fmt.Sprintf("(%s ?? %s)", genExpr(r, String, depth-1), genExpr(r, String, depth-1))
	}
	return fmt.Sprintf("(%s + %s)", genExpr(r, String, depth-1), genExpr(r, String, depth-1)) // no column form
}

func genNum(r *rand.Rand, depth int) string { return genExpr(r, pickOf(r, Float64, Int64), depth) }

func genLeaf(r *rand.Rand, want Type) string {
	switch want {
	case Float64:
		return pickOf(r, "a", "b", "a", "b", "0.0", "-0.0", "1.5", "1e308", "(0.0/0.0)", "nil")
	case Int64:
		return pickOf(r, "i", "j", "i", "j", "0", "1", "-1", "3", "9223372036854775807", "nil")
	case Bool:
		return pickOf(r, "p", "q", "true", "false", "nil")
	}
	return pickOf(r, "s", "t", `""`, `"x"`, "nil")
}

func pickOf[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// diffData is n rows of random columns, with nulls and values that
// overflow, divide by zero and compare equal.
func diffData(r *rand.Rand, n int) map[string]*Vector {
	in := map[string]*Vector{}
	for name, t := range diffEnv {
		v := &Vector{Type: t, Valid: make([]bool, n)}
		for k := 0; k < n; k++ {
			v.Valid[k] = r.IntN(5) != 0
			switch t {
			case Float64:
				v.F64 = append(v.F64, pickOf(r, 0, math.Copysign(0, -1), 1.5, -2.25, math.Inf(1), math.NaN(), 1e300, r.NormFloat64()))
			case Int64:
				v.I64 = append(v.I64, pickOf[int64](r, 0, 1, -1, 2, 7, math.MaxInt64, math.MinInt64, r.Int64N(100)-50))
			case Bool:
				v.Bool = append(v.Bool, r.IntN(2) == 0)
			case String:
				v.Str = append(v.Str, pickOf(r, "", "x", "y", "ab"))
			}
		}
		in[name] = v
	}
	return in
}

// rowOf is row k of in as the row form takes it.
func rowOf(in map[string]*Vector, k int) map[string]any {
	vals := map[string]any{}
	for name, v := range in {
		switch {
		case !v.Valid[k]:
			vals[name] = nil
		case v.Type == Float64:
			vals[name] = v.F64[k]
		case v.Type == Int64:
			vals[name] = int(v.I64[k])
		case v.Type == Bool:
			vals[name] = v.Bool[k]
		default:
			vals[name] = v.Str[k]
		}
	}
	return vals
}

// sameValue reports whether the column form's row k is the row form's
// value got (nil: null), bit for bit.
func sameValue(out *Vector, k int, got any) bool {
	if !out.Valid[k] || got == nil {
		return !out.Valid[k] && got == nil
	}
	switch x := got.(type) {
	case float64:
		return math.Float64bits(out.F64[k]) == math.Float64bits(x)
	case int:
		return out.I64[k] == int64(x)
	case int64:
		return out.I64[k] == x
	case bool:
		return out.Bool[k] == x
	case string:
		return out.Str[k] == x
	}
	return false
}

// checkDiff compares the two forms of src on in; it reports whether src
// has a column form.
func checkDiff(t *testing.T, src string, want Type, in map[string]*Vector, n int, active []bool) bool {
	t.Helper()
	e, err := Parse(src)
	if err != nil {
		return false
	}
	p, err := Compile(e, diffEnv, want)
	if err != nil || p.Columnar() == nil {
		return false
	}
	out, ok := p.Columnar().Eval(in, active, n)
	ev := p.NewEvaluator()
	failed := false
	for k := 0; k < n; k++ {
		if active != nil && !active[k] {
			if ok && out.Valid[k] {
				t.Fatalf("%s: inactive row %d is valid", src, k)
			}
			continue
		}
		got, err := ev.Eval(rowOf(in, k))
		var ferr *Error
		if err != nil && !errors.As(err, &ferr) {
			t.Fatalf("%s row %d: the row form's error is not an *Error: %v", src, k, err)
		}
		failed = failed || err != nil
		if ok && (err != nil || !sameValue(out, k, got)) {
			t.Fatalf("%s (output %s) row %d %v: row form %v (%T) error %v; column form valid %v, %+v",
				src, p.Output(), k, rowOf(in, k), got, got, err, out.Valid[k], out)
		}
	}
	if !ok && !failed {
		t.Fatalf("%s: the column form failed where no row errs", src)
	}
	return true
}

func TestColumnsMatchRows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	columnar, total := 0, 0
	for k := 0; k < 4000; k++ {
		want := pickOf(r, Float64, Int64, Bool, String)
		src := genExpr(r, want, 1+r.IntN(4))
		n := 1 + r.IntN(64)
		var active []bool
		if r.IntN(2) == 0 {
			active = make([]bool, n)
			for i := range active {
				active[i] = r.IntN(3) != 0
			}
		}
		total++
		if checkDiff(t, src, pickOf(r, want, ""), diffData(r, n), n, active) {
			columnar++
		}
	}
	t.Logf("%d of %d random expressions have a column form", columnar, total)
	if columnar < total/3 {
		t.Fatalf("only %d of %d random expressions have a column form", columnar, total)
	}
}

// FuzzColumnsMatchRows explores seeds of the random expressions and data.
func FuzzColumnsMatchRows(f *testing.F) {
	f.Add(uint64(1), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, depth uint8) {
		r := rand.New(rand.NewPCG(seed, 7))
		want := pickOf(r, Float64, Int64, Bool, String)
		src := genExpr(r, want, int(depth%6))
		checkDiff(t, src, want, diffData(r, 32), 32, nil)
	})
}

func TestColumnFormCovers(t *testing.T) {
	for src, want := range map[string]bool{
		"a * 2.0 + b": true, "a > 0 ? a - b : a * b": true, "a ?? 0": true, "i % 3 == 0 && p": true,
		"abs(a) + round(b) - float(i)": true, "int(a) + i": true, "s == t": true,
		"s + t == \"x\"": false, "let x = a; x * 2.0": false, "len(s)": false, "-(a ?? i)": false,
	} {
		e, err := Parse(src)
		if err != nil {
			t.Fatal(src, err)
		}
		p, err := Compile(e, diffEnv, "")
		if err != nil {
			t.Fatal(src, err)
		}
		if got := p.Columnar() != nil; got != want {
			t.Errorf("%s: column form %v, want %v", src, got, want)
		}
	}
}

// TestErrorNotNullForSpellingNil: an error other than a nil meeting an
// operator stays an error, even where the expression spells nil (the
// error's text quotes it) and an input is null.
func TestErrorNotNullForSpellingNil(t *testing.T) {
	e, err := Parse(`(i ?? 2) * j + (s == nil ? 0 : 1)`)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(e, diffEnv, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.NewEvaluator().Eval(map[string]any{"i": nil, "j": math.MaxInt64, "s": "x"})
	if err == nil || !strings.Contains(err.Error(), "overflow") {
		t.Fatalf("got %v, %v; want the overflow", v, err)
	}
}
