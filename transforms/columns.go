package transforms

import (
	"math"

	"github.com/expr-lang/expr/ast"
)

// Vector is one column of values for a batch of rows: the slice its Type
// names (F64, I64, Bool or Str) and Valid (nil: every row valid).
type Vector struct {
	Type  Type
	F64   []float64
	I64   []int64
	Bool  []bool
	Str   []string
	Valid []bool
}

// Columnar is a Program's column form: it computes the expression over
// whole columns at once, with exactly the values the row form (Evaluator)
// gives. Safe for concurrent use.
type Columnar struct {
	p     *Program
	root  cnode
	mixed bool // the root is an int or a float row by row (a ?: or ?? of both)
}

// Columnar returns the column form of the program, or nil when a part of
// it has none (let, strings built or searched, timestamps, most builtins):
// evaluate such a program by row.
func (p *Program) Columnar() *Columnar { return p.col }

// columnar builds the column form of p against env, or nil. It follows
// the tree the VM runs (checked and optimized: constants folded, fs's
// checked operators in place), not the parsed one.
func columnar(p *Program, env Env) *Columnar {
	for _, n := range p.expr.names {
		if t := env[n]; t == Timestamp || t == "" {
			return nil
		}
	}
	root, ok := buildNode(p.prog.Node(), env)
	if !ok || root.typ() == nilType || (root.mixed() && p.output != Float64) {
		return nil
	}
	return &Columnar{p: p, root: root, mixed: root.mixed()}
}

// Eval computes the expression on n rows. in holds a vector for each name
// the expression reads (Expr.Names), n rows each; active says which rows to
// compute (nil: all). The result has the program's output type and a Valid
// mask (false for inactive and null rows). ok is false when some active
// row meets an error: evaluate the batch by row (Evaluator.Eval) to get the
// error the row form names.
func (c *Columnar) Eval(in map[string]*Vector, active []bool, n int) (out *Vector, ok bool) {
	st := &state{n: n, in: in, poison: make([]bool, n)}
	act := make([]bool, n)
	for i := range act {
		act[i] = active == nil || active[i]
	}
	if !c.p.expr.handlesNull {
		for _, name := range c.p.expr.names {
			if v := in[name]; v.Valid != nil {
				for i, ok := range v.Valid[:n] {
					act[i] = act[i] && ok
				}
			}
		}
	}
	v := c.root.eval(st, act)
	if st.failed || !c.poisonedByInputs(in, act, st.poison) {
		return nil, false
	}
	v, ok = c.castNulls(v, act, st.poison, in)
	if !ok {
		return nil, false
	}
	return c.result(v, act, st.poison), true
}

// castNulls applies the row form's final cast to the active rows whose
// value is nil: a bool output makes it false; a float or int output fails
// on it, which is null when an input is null and an error otherwise; a
// string output keeps it null.
func (c *Columnar) castNulls(v cvec, act, poison []bool, in map[string]*Vector) (cvec, bool) {
	if v.null == nil || c.p.output == String {
		return v, true
	}
	var b []bool
	for i, a := range act {
		if !a || poison[i] || !v.null[i] {
			continue
		}
		if c.p.output != Bool {
			if !c.nullInput(in, i) {
				return v, false
			}
			continue
		}
		if b == nil {
			b = append([]bool(nil), v.b...)
			v.null = append([]bool(nil), v.null...)
		}
		b[i], v.null[i] = false, false
	}
	if b != nil {
		v.b = b
	}
	return v, true
}

// nullInput reports whether some input of the expression is null on row i.
func (c *Columnar) nullInput(in map[string]*Vector, i int) bool {
	for _, name := range c.p.expr.names {
		if v := in[name]; v.Valid != nil && !v.Valid[i] {
			return true
		}
	}
	return false
}

// poisonedByInputs reports whether every active row a null poisoned has
// a null input: the row form makes those rows null, and the others, where
// a nil literal met the operator, an error.
func (c *Columnar) poisonedByInputs(in map[string]*Vector, act, poison []bool) bool {
	for i, a := range act {
		if !a || !poison[i] {
			continue
		}
		if !c.nullInput(in, i) {
			return false
		}
	}
	return true
}

// result brings v to the program's output type, null where a row was not
// computed, poisoned (a null that reached an operator that cannot take it,
// as the row form's rule makes it null) or null itself.
func (c *Columnar) result(v cvec, act, poison []bool) *Vector {
	out := &Vector{Type: c.p.output, Valid: make([]bool, len(act))}
	for i, a := range act {
		out.Valid[i] = a && !poison[i] && (v.null == nil || !v.null[i])
	}
	switch {
	case c.p.output == Float64 && v.t == Int64:
		out.F64 = make([]float64, len(act))
		for i, x := range v.i {
			out.F64[i] = float64(x)
		}
	case c.p.output == Float64:
		out.F64 = v.f
	case c.p.output == Int64:
		out.I64 = v.i
	case c.p.output == Bool:
		out.Bool = v.b
	default:
		out.Str = v.s
	}
	return out
}

// state is one evaluation's: the inputs, the rows poisoned, whether an
// active row failed.
type state struct {
	n      int
	in     map[string]*Vector
	poison []bool
	failed bool
}

// fail records an error at an active row.
func (st *state) fail() { st.failed = true }

// nilType is the type of the nil literal.
const nilType Type = "nil"

// cvec is a node's values: the slice of its type, null (nil: none) marks
// the rows whose value is nil.
type cvec struct {
	t    Type
	f    []float64
	i    []int64
	b    []bool
	s    []string
	null []bool
}

func (v cvec) isNull(i int) bool { return v.null != nil && v.null[i] }

// cnode is a node of the column form.
type cnode interface {
	typ() Type
	mixed() bool // int or float row by row, given as float64
	eval(st *state, act []bool) cvec
}

// buildNode builds the column form of n, or reports that it has none.
func buildNode(n ast.Node, env Env) (cnode, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return &constNode{v: cvec{t: Int64, i: []int64{int64(n.Value)}}}, true
	case *ast.FloatNode:
		// expr's constant pool keys floats by value, so a -0.0 literal
		// and a 0.0 one share the sign of whichever came first
		negZero := n.Value == 0 && math.Signbit(n.Value)
		return &constNode{v: cvec{t: Float64, f: []float64{n.Value}}}, !negZero
	case *ast.BoolNode:
		return &constNode{v: cvec{t: Bool, b: []bool{n.Value}}}, true
	case *ast.StringNode:
		return &constNode{v: cvec{t: String, s: []string{n.Value}}}, true
	case *ast.NilNode:
		return &constNode{v: cvec{t: nilType}}, true
	case *ast.IdentifierNode:
		t, ok := env[n.Value]
		return &nameNode{name: n.Value, t: t}, ok
	case *ast.UnaryNode:
		return buildUnary(n, env)
	case *ast.BinaryNode:
		return buildBinary(n, env)
	case *ast.ConditionalNode:
		return buildConditional(n, env)
	case *ast.BuiltinNode:
		return buildBuiltin(n, env)
	case *ast.CallNode:
		return buildCall(n, env)
	}
	return nil, false
}

// constNode is a literal, repeated on every row.
type constNode struct{ v cvec }

func (c *constNode) typ() Type   { return c.v.t }
func (c *constNode) mixed() bool { return false }
func (c *constNode) eval(st *state, _ []bool) cvec {
	v := cvec{t: c.v.t}
	switch c.v.t {
	case Int64:
		v.i = fill(st.n, c.v.i[0])
	case Float64:
		v.f = fill(st.n, c.v.f[0])
	case Bool:
		v.b = fill(st.n, c.v.b[0])
	case String:
		v.s = fill(st.n, c.v.s[0])
	default:
		v.null = fill(st.n, true)
	}
	return v
}

func fill[T any](n int, x T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = x
	}
	return s
}

// nameNode reads an input column.
type nameNode struct {
	name string
	t    Type
}

func (c *nameNode) typ() Type   { return c.t }
func (c *nameNode) mixed() bool { return false }
func (c *nameNode) eval(st *state, _ []bool) cvec {
	in := st.in[c.name]
	v := cvec{t: c.t}
	switch c.t {
	case Int64:
		v.i = in.I64[:st.n]
	case Float64:
		v.f = in.F64[:st.n]
	case Bool:
		v.b = in.Bool[:st.n]
	case String:
		v.s = in.Str[:st.n]
	}
	if in.Valid != nil {
		v.null = make([]bool, st.n)
		for i, ok := range in.Valid[:st.n] {
			v.null[i] = !ok
		}
	}
	return v
}

// poisonNulls marks the active rows where an operand is null: the row form
// meets an error naming nil there, which makes the row null.
func poisonNulls(st *state, act []bool, vs ...cvec) {
	for _, v := range vs {
		if v.null == nil {
			continue
		}
		for i, a := range act {
			if a && v.null[i] {
				st.poison[i] = true
			}
		}
	}
}

// and is a && b row by row, in a new slice.
func and(a, b []bool) []bool {
	out := make([]bool, len(a))
	for i := range a {
		out[i] = a[i] && b[i]
	}
	return out
}

// andNot is a && !b row by row, in a new slice.
func andNot(a, b []bool) []bool {
	out := make([]bool, len(a))
	for i := range a {
		out[i] = a[i] && !b[i]
	}
	return out
}
