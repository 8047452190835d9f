package transforms

import (
	"math"
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// isNum reports whether t is a number type.
func isNum(t Type) bool { return t == Int64 || t == Float64 }

// numPair reports whether l and r can meet in arithmetic or a comparison
// in column form: numbers, and a node that is an int or a float row by
// row only beside a float (float64(int) op float is what the row form
// computes either way).
func numPair(l, r cnode) bool {
	if !isNum(l.typ()) || !isNum(r.typ()) {
		return false
	}
	return !(l.mixed() && (r.typ() != Float64 || r.mixed())) && !(r.mixed() && (l.typ() != Float64 || l.mixed()))
}

// binaryNode is an operator on two operands.
type binaryNode struct {
	op      string // canonical: + - * / % ** == != < <= > >= && || ??
	l, r    cnode
	t       Type
	mix     bool
	typedEq bool // == or != compiled to expr's typed instruction
}

// typedEquality reports whether expr compiles the == or != n to its typed
// int or string instruction, which a nil makes an error: it does when the
// checker typed both operands int or both string.
func typedEquality(n *ast.BinaryNode) bool {
	if n.Left.Type() == nil || n.Right.Type() == nil {
		return false
	}
	l, r := n.Left.Type(), n.Right.Type()
	return l == r && l.PkgPath() == "" && (l.Kind() == reflect.Int || l.Kind() == reflect.String)
}

// buildCall builds the calls fs's checked operations put in the tree: the
// integer +, - and * (fsAdd, fsSub, fsMul) and int().
func buildCall(n *ast.CallNode, env Env) (cnode, bool) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil, false
	}
	if id.Value == "int" {
		return buildInt(n.Arguments, env)
	}
	op, ok := checkedOps[id.Value]
	if !ok || len(n.Arguments) != 2 {
		return nil, false
	}
	l, lok := buildNode(n.Arguments[0], env)
	r, rok := buildNode(n.Arguments[1], env)
	if !lok || !rok || l.typ() != Int64 || r.typ() != Int64 || l.mixed() || r.mixed() {
		return nil, false
	}
	return &binaryNode{op: op, l: l, r: r, t: Int64}, true
}

// checkedOps are the functions of fs's checked integer operators.
var checkedOps = map[string]string{"fsAdd": "+", "fsSub": "-", "fsMul": "*"}

func (b *binaryNode) typ() Type   { return b.t }
func (b *binaryNode) mixed() bool { return b.mix }

func buildBinary(n *ast.BinaryNode, env Env) (cnode, bool) {
	l, ok := buildNode(n.Left, env)
	if !ok {
		return nil, false
	}
	r, ok := buildNode(n.Right, env)
	if !ok {
		return nil, false
	}
	b := &binaryNode{op: binaryOps[n.Operator], l: l, r: r, typedEq: typedEquality(n)}
	lt, rt := l.typ(), r.typ()
	switch b.op {
	case "+", "-", "*":
		// two ints meet here only in expr's unchecked operator: fs's
		// checked one is a call (see buildCall)
		ok = numPair(l, r) && !(lt == Int64 && rt == Int64)
		b.t = numeric(lt, rt)
	case "/", "**":
		ok = isNum(lt) && isNum(rt)
		b.t = Float64
	case "%":
		ok = lt == Int64 && rt == Int64 && !l.mixed() && !r.mixed()
		b.t = Int64
	case "<", "<=", ">", ">=":
		ok = numPair(l, r) || (lt == String && rt == String)
		b.t = Bool
	case "==", "!=":
		ok = numPair(l, r) || (lt == rt && lt != nilType && !isNum(lt)) || lt == nilType || rt == nilType
		b.t = Bool
	case "&&", "||":
		ok = lt == Bool && rt == Bool
		b.t = Bool
	case "??":
		b.t, b.mix, ok = either(l, r)
	default:
		ok = false
	}
	return b, ok
}

// either is the type of a value that is l's on some rows and r's on
// others: one type, nil beside any, an int beside a float (mixed).
func either(l, r cnode) (Type, bool, bool) {
	lt, rt := l.typ(), r.typ()
	switch {
	case lt == rt:
		return lt, l.mixed() || r.mixed(), true
	case lt == nilType:
		return rt, r.mixed(), true
	case rt == nilType:
		return lt, l.mixed(), true
	case isNum(lt) && isNum(rt):
		return Float64, true, true
	}
	return "", false, false
}

func (b *binaryNode) eval(st *state, act []bool) cvec {
	switch b.op {
	case "&&", "||":
		return b.logic(st, act)
	case "??":
		return b.coalesce(st, act)
	}
	l, r := b.l.eval(st, act), b.r.eval(st, act)
	switch b.op {
	case "==", "!=":
		if b.typedEq {
			poisonNulls(st, act, l, r)
		}
		return equal(l, r, b.op == "!=", st.n)
	}
	poisonNulls(st, act, l, r)
	switch {
	case b.op == "<" || b.op == "<=" || b.op == ">" || b.op == ">=":
		return compare(b.op, l, r, st.n)
	case b.t == Int64:
		return cvec{t: Int64, i: intArith(st, act, b.op, l.i, r.i)}
	}
	return cvec{t: Float64, f: floatArith(b.op, asFloat(l), asFloat(r))}
}

// logic is && and ||: the right operand only where the left does not
// decide, as the row form skips it; a null left operand poisons the row,
// a null right one is the result.
func (b *binaryNode) logic(st *state, act []bool) cvec {
	l := b.l.eval(st, act)
	poisonNulls(st, act, l)
	want := b.op == "&&" // the left value that needs the right one
	ract := make([]bool, st.n)
	for i, a := range act {
		ract[i] = a && !l.isNull(i) && l.b[i] == want
	}
	r := b.r.eval(st, ract) // its value is the result as it is: nil stays nil
	out := cvec{t: Bool, b: make([]bool, st.n), null: make([]bool, st.n)}
	for i := range out.b {
		out.b[i] = l.b[i]
		if ract[i] {
			out.b[i], out.null[i] = r.b[i], r.isNull(i)
		}
	}
	return out
}

// coalesce is a ?? b: b only where a is null.
func (b *binaryNode) coalesce(st *state, act []bool) cvec {
	l := b.l.eval(st, act)
	if l.null == nil && l.t != nilType {
		return l
	}
	ract := make([]bool, st.n)
	for i, a := range act {
		ract[i] = a && l.isNull(i)
	}
	r := b.r.eval(st, ract)
	return merge(b.t, ract, r, l, st.n)
}

// merge takes a's value where take says, b's elsewhere, in type t (an int
// becomes a float when t is a float).
func merge(t Type, take []bool, a, b cvec, n int) cvec {
	out := cvec{t: t, null: make([]bool, n)}
	switch t {
	case Int64:
		out.i = pick(take, a.i, b.i, n)
	case Float64:
		out.f = pick(take, asFloat(a), asFloat(b), n)
	case Bool:
		out.b = pick(take, a.b, b.b, n)
	case String:
		out.s = pick(take, a.s, b.s, n)
	}
	for i := range out.null {
		if take[i] {
			out.null[i] = a.t == nilType || a.isNull(i)
		} else {
			out.null[i] = b.t == nilType || b.isNull(i)
		}
	}
	return out
}

func pick[T any](take []bool, a, b []T, n int) []T {
	out := make([]T, n)
	for i := range out {
		switch {
		case take[i] && a != nil:
			out[i] = a[i]
		case !take[i] && b != nil:
			out[i] = b[i]
		}
	}
	return out
}

// asFloat is v's values as floats (nil for the nil literal).
func asFloat(v cvec) []float64 {
	if v.t != Int64 {
		return v.f
	}
	f := make([]float64, len(v.i))
	for i, x := range v.i {
		f[i] = float64(x)
	}
	return f
}

// intArith is checked integer arithmetic: an overflow, or % by zero, at an
// active row fails the evaluation.
func intArith(st *state, act []bool, op string, a, b []int64) []int64 {
	out := make([]int64, st.n)
	var f func(a, b int) (int, bool)
	switch op {
	case "+":
		f = addInt
	case "-":
		f = subInt
	case "*":
		f = mulInt
	case "%":
		f = func(a, b int) (int, bool) {
			if b == 0 {
				return 0, false
			}
			return a % b, true
		}
	}
	for i := range out {
		if !act[i] {
			continue
		}
		v, ok := f(int(a[i]), int(b[i]))
		if !ok && !st.poison[i] {
			st.fail()
		}
		out[i] = int64(v)
	}
	return out
}

func floatArith(op string, a, b []float64) []float64 {
	out := make([]float64, len(a))
	switch op {
	case "+":
		for i := range out {
			out[i] = a[i] + b[i]
		}
	case "-":
		for i := range out {
			out[i] = a[i] - b[i]
		}
	case "*":
		for i := range out {
			out[i] = a[i] * b[i]
		}
	case "/":
		for i := range out {
			out[i] = a[i] / b[i]
		}
	case "**":
		for i := range out {
			out[i] = math.Pow(a[i], b[i])
		}
	}
	return out
}

// compare is <, <=, > or >= on numbers (two ints as ints) or strings.
func compare(op string, l, r cvec, n int) cvec {
	switch {
	case l.t == String:
		return cvec{t: Bool, b: cmp(op, l.s, r.s, n)}
	case l.t == Int64 && r.t == Int64:
		return cvec{t: Bool, b: cmp(op, l.i, r.i, n)}
	}
	return cvec{t: Bool, b: cmp(op, asFloat(l), asFloat(r), n)}
}

type ordered interface{ ~int64 | ~float64 | ~string }

func cmp[T ordered](op string, a, b []T, n int) []bool {
	out := make([]bool, n)
	switch op {
	case "<":
		for i := range out {
			out[i] = a[i] < b[i]
		}
	case "<=":
		for i := range out {
			out[i] = a[i] <= b[i]
		}
	case ">":
		for i := range out {
			out[i] = a[i] > b[i]
		}
	case ">=":
		for i := range out {
			out[i] = a[i] >= b[i]
		}
	}
	return out
}

// equal is == (or != when not): nil equals nil only.
func equal(l, r cvec, not bool, n int) cvec {
	out := make([]bool, n)
	for i := range out {
		ln, rn := l.t == nilType || l.isNull(i), r.t == nilType || r.isNull(i)
		switch {
		case ln || rn:
			out[i] = ln && rn
		case l.t == Int64 && r.t == Int64:
			out[i] = l.i[i] == r.i[i]
		case isNum(l.t):
			out[i] = num(l, i) == num(r, i)
		case l.t == Bool:
			out[i] = l.b[i] == r.b[i]
		default:
			out[i] = l.s[i] == r.s[i]
		}
		out[i] = out[i] != not
	}
	return cvec{t: Bool, b: out}
}

func num(v cvec, i int) float64 {
	if v.t == Int64 {
		return float64(v.i[i])
	}
	return v.f[i]
}

// conditionalNode is c ? a : b.
type conditionalNode struct {
	c, a, b cnode
	t       Type
	mix     bool
}

func (c *conditionalNode) typ() Type   { return c.t }
func (c *conditionalNode) mixed() bool { return c.mix }

func buildConditional(n *ast.ConditionalNode, env Env) (cnode, bool) {
	cond, ok1 := buildNode(n.Cond, env)
	a, ok2 := buildNode(n.Exp1, env)
	b, ok3 := buildNode(n.Exp2, env)
	if !ok1 || !ok2 || !ok3 || cond.typ() != Bool {
		return nil, false
	}
	t, mix, ok := either(a, b)
	return &conditionalNode{c: cond, a: a, b: b, t: t, mix: mix}, ok
}

func (c *conditionalNode) eval(st *state, act []bool) cvec {
	cond := c.c.eval(st, act)
	poisonNulls(st, act, cond)
	take := make([]bool, st.n)
	other := make([]bool, st.n)
	for i, a := range act {
		known := a && !cond.isNull(i)
		take[i] = known && cond.b[i]
		other[i] = known && !cond.b[i]
	}
	return merge(c.t, take, c.a.eval(st, take), c.b.eval(st, other), st.n)
}

// unaryNode is -x, +x or !x.
type unaryNode struct {
	op string
	x  cnode
}

func (u *unaryNode) typ() Type   { return u.x.typ() }
func (u *unaryNode) mixed() bool { return false }

func buildUnary(n *ast.UnaryNode, env Env) (cnode, bool) {
	x, ok := buildNode(n.Node, env)
	if !ok || x.mixed() {
		return nil, false
	}
	u := &unaryNode{op: unaryOps[n.Operator], x: x}
	if u.op == "!" {
		return u, x.typ() == Bool
	}
	return u, isNum(x.typ())
}

func (u *unaryNode) eval(st *state, act []bool) cvec {
	x := u.x.eval(st, act)
	if u.op == "+" { // the row form does nothing for it: nil stays nil
		return x
	}
	poisonNulls(st, act, x)
	out := cvec{t: x.t}
	switch {
	case x.t == Bool:
		out.b = mapSlice(x.b, func(v bool) bool { return !v })
	case x.t == Int64:
		out.i = mapSlice(x.i, func(v int64) int64 { return -v })
	default:
		out.f = mapSlice(x.f, func(v float64) float64 { return -v })
	}
	return out
}

func mapSlice[T, U any](s []T, f func(T) U) []U {
	out := make([]U, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// builtinNode is abs, ceil, floor, round, float or int of one number.
type builtinNode struct {
	name string
	x    cnode
	t    Type
}

func (b *builtinNode) typ() Type   { return b.t }
func (b *builtinNode) mixed() bool { return false }

func buildBuiltin(n *ast.BuiltinNode, env Env) (cnode, bool) {
	if len(n.Arguments) != 1 {
		return nil, false
	}
	x, ok := buildNode(n.Arguments[0], env)
	if !ok || !isNum(x.typ()) {
		return nil, false
	}
	b := &builtinNode{name: n.Name, x: x, t: Float64}
	switch n.Name {
	case "abs":
		b.t = x.typ()
		return b, !x.mixed()
	case "ceil", "floor", "round", "float":
		return b, true
	}
	return nil, false
}

// buildInt builds fs's int(), a function: the checker has rewritten the
// integer literals of its argument into floats already.
func buildInt(args []ast.Node, env Env) (cnode, bool) {
	if len(args) != 1 {
		return nil, false
	}
	x, ok := buildNode(args[0], env)
	if !ok || !isNum(x.typ()) || x.mixed() {
		return nil, false
	}
	return &builtinNode{name: "int", x: x, t: Int64}, true
}

func (b *builtinNode) eval(st *state, act []bool) cvec {
	x := b.x.eval(st, act)
	if b.name != "int" { // int(nil) is nil; the others refuse it
		poisonNulls(st, act, x)
	}
	out := cvec{t: b.t, null: x.null}
	switch {
	case b.name == "abs" && x.t == Int64:
		out.i = mapSlice(x.i, func(v int64) int64 { return absOf(v) })
	case b.name == "abs":
		out.f = mapSlice(x.f, absOf[float64])
	case b.name == "int" && x.t == Int64:
		out.i = x.i
	case b.name == "int":
		out.i = make([]int64, st.n)
		for i, v := range x.f {
			if act[i] && !x.isNull(i) && !st.poison[i] && (math.IsNaN(v) || v >= math.MaxInt64 || v < math.MinInt64) {
				st.fail()
			}
			out.i[i] = int64(v)
		}
	case b.name == "ceil":
		out.f = mapSlice(asFloat(x), math.Ceil)
	case b.name == "floor":
		out.f = mapSlice(asFloat(x), math.Floor)
	case b.name == "round":
		out.f = mapSlice(asFloat(x), math.Round)
	default:
		out.f = asFloat(x)
	}
	return out
}

// absOf is expr's abs: x < 0 ? -x : x (so abs(-0.0) stays -0.0).
func absOf[T int64 | float64](x T) T {
	if x < 0 {
		return -x
	}
	return x
}
