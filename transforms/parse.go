package transforms

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
)

// Limits on a single expression, so a hostile definition cannot exhaust
// the machine at register or materialize time.
const (
	MaxLen   = 16 << 10 // bytes of expression text, and of its canonical form
	MaxNodes = 2000     // syntax nodes, a part written once and used twice counted twice
	MaxDepth = 100      // nesting depth
)

const hintSplit = "split the computation into several features"

// tooManyNodes reports the node limit, whether expr's count or ours found it.
func tooManyNodes(src string, offset int) *Error {
	return errAt(src, offset, hintSplit+" (a ?: b counts a twice)", "expression has more than %d syntax nodes", MaxNodes)
}

// builtins is the whitelist of pure builtin functions.
var builtins = map[string]bool{
	"abs": true, "ceil": true, "floor": true, "round": true,
	"int": true, "float": true, "string": true, "len": true,
	"upper": true, "lower": true, "trim": true, "trimPrefix": true, "trimSuffix": true,
	"hasPrefix": true, "hasSuffix": true, "indexOf": true, "lastIndexOf": true,
	"replace": true, "min": true, "max": true,
}

// binaryOps maps every accepted binary operator to its canonical spelling.
var binaryOps = map[string]string{
	"+": "+", "-": "-", "*": "*", "/": "/", "%": "%", "**": "**", "^": "**",
	"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
	"and": "&&", "&&": "&&", "or": "||", "||": "||", "??": "??",
	"in": "in", "contains": "contains", "startsWith": "startsWith",
	"endsWith": "endsWith", "matches": "matches",
}

// unaryOps maps every accepted unary operator to its canonical spelling.
var unaryOps = map[string]string{"-": "-", "+": "+", "!": "!", "not": "!"}

// Expr is a parsed expression that passed the whitelist: its canonical text
// and the free names it reads are known, its types are not yet checked.
type Expr struct {
	src         string
	tree        ast.Node
	canonical   string
	names       []string
	handlesNull bool
}

// Parse parses src. Syntax errors and constructs outside the whitelist are
// returned as *Error with the position inside src.
func Parse(src string) (*Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Line: 1, Column: 1, Message: "empty expression", Hint: "write an expression such as conv_rate * 100"}
	}
	if !utf8.ValidString(src) {
		return nil, &Error{Line: 1, Column: 1, Message: "expression is not valid UTF-8"}
	}
	if len(src) > MaxLen {
		return nil, &Error{Line: 1, Column: 1, Message: "expression is longer than the limit of 16 KiB"}
	}
	cfg := conf.CreateNew()
	cfg.MaxNodes = MaxNodes
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return nil, fromExprError(src, err)
	}
	e := &Expr{src: src, tree: tree.Node}
	w := walker{src: src, bound: map[string]int{}, names: map[string]bool{}}
	if err := w.check(tree.Node, 0); err != nil {
		return nil, err
	}
	e.handlesNull = w.handlesNull
	for n := range w.names {
		e.names = append(e.names, n)
	}
	sort.Strings(e.names)
	c, ok := canonical(tree.Node)
	if !ok {
		return nil, &Error{Line: 1, Column: 1, Message: "the expression's canonical form is longer than the limit of 16 KiB",
			Hint: hintSplit}
	}
	e.canonical = c
	return e, nil
}

// Source returns the text the expression was parsed from.
func (e *Expr) Source() string { return e.src }

// Canonical returns the canonical text: whitespace, redundant parentheses and
// operator aliases (and/&&, not/!, ^/**) never change it, a float literal
// stays a float (1.0 prints as 1.0), and parsing it gives the same tree.
func (e *Expr) Canonical() string { return e.canonical }

// Names returns the free names the expression reads, sorted and unique:
// columns of the source or other features, never let-bound names or
// functions.
func (e *Expr) Names() []string { return append([]string(nil), e.names...) }

// HandlesNull reports whether the expression handles null itself (uses ??
// or nil); see the package documentation for the null rule.
func (e *Expr) HandlesNull() bool { return e.handlesNull }

// NameOffset returns the character offset of the first use of name in the
// expression, for error reporting; -1 if it is not read.
func (e *Expr) NameOffset(name string) int {
	off := -1
	ast.Find(e.tree, func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok && id.Value == name {
			if from := id.Location().From; off < 0 || from < off {
				off = from
			}
		}
		return false
	})
	return off
}

// NamePosition is NameOffset as a 1-based line and column.
func (e *Expr) NamePosition(name string) (line, col int) {
	return position(e.src, max(e.NameOffset(name), 0))
}

type walker struct {
	src         string
	bound       map[string]int
	names       map[string]bool
	handlesNull bool
	nodes       int // nodes visited; `a ?: b` shares a between condition and value, so a counts twice
}

func (w *walker) unsupported(n ast.Node, what string) error {
	return errAt(w.src, n.Location().From,
		"feature expressions use names, literals, operators, ?:, ??, let and pure builtins such as abs, round, lower",
		"%s is not supported in feature expressions", what)
}

func (w *walker) check(n ast.Node, depth int) error {
	if depth > MaxDepth {
		return errAt(w.src, n.Location().From, hintSplit, "expression nests deeper than %d levels", MaxDepth)
	}
	// expr's own node limit counts a node once, but `a ?: b` is the
	// tree a ? a : b with a shared: nested, it doubles at every level, and
	// so would this walk, the type checker and the canonical text.
	if w.nodes++; w.nodes > MaxNodes {
		return tooManyNodes(w.src, n.Location().From)
	}
	d := depth + 1
	switch n := n.(type) {
	case *ast.NilNode:
		w.handlesNull = true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
	case *ast.StringNode:
		// An escape past U+10FFFF (\UEEEEEEEE) leaves a byte that is not
		// UTF-8, which no canonical text could write back.
		if !utf8.ValidString(n.Value) {
			return errAt(w.src, n.Location().From, "write characters, or \\u and \\U escapes of at most U+10FFFF",
				"a string literal whose escapes give bytes that are not UTF-8")
		}
	case *ast.IdentifierNode:
		return w.identifier(n)
	case *ast.UnaryNode:
		if _, ok := unaryOps[n.Operator]; !ok {
			return w.unsupported(n, "the operator "+n.Operator)
		}
		return w.check(n.Node, d)
	case *ast.BinaryNode:
		return w.binary(n, d)
	case *ast.ConditionalNode:
		return w.all(d, n.Cond, n.Exp1, n.Exp2)
	case *ast.BuiltinNode:
		if !builtins[n.Name] {
			return w.unsupported(n, "the function "+n.Name+"()")
		}
		return w.all(d, n.Arguments...)
	case *ast.ArrayNode:
		return w.all(d, n.Nodes...)
	case *ast.VariableDeclaratorNode:
		return w.let(n, d)
	default:
		return w.refuse(n)
	}
	return nil
}

// all checks each of nodes.
func (w *walker) all(depth int, nodes ...ast.Node) error {
	for _, c := range nodes {
		if err := w.check(c, depth); err != nil {
			return err
		}
	}
	return nil
}

// identifier notes a column name (a name no let binds); $env and the
// like are refused.
func (w *walker) identifier(n *ast.IdentifierNode) error {
	if w.bound[n.Value] == 0 {
		if strings.HasPrefix(n.Value, "$") {
			return w.unsupported(n, "the name "+n.Value)
		}
		w.names[n.Value] = true
	}
	return nil
}

// binary checks an operator fs supports; ?? handles nulls, and `in`
// takes only a list literal.
func (w *walker) binary(n *ast.BinaryNode, depth int) error {
	if _, ok := binaryOps[n.Operator]; !ok {
		return w.unsupported(n, "the operator "+n.Operator)
	}
	if n.Operator == "??" {
		w.handlesNull = true
	}
	if n.Operator == "in" {
		if _, ok := n.Right.(*ast.ArrayNode); !ok {
			return w.unsupported(n.Right, "`in` with anything but a list literal like [\"a\", \"b\"]")
		}
	}
	return w.all(depth, n.Left, n.Right)
}

// let checks a let's value, then its body with the name bound.
func (w *walker) let(n *ast.VariableDeclaratorNode, depth int) error {
	if err := w.check(n.Value, depth); err != nil {
		return err
	}
	w.bound[n.Name]++
	err := w.check(n.Expr, depth)
	w.bound[n.Name]--
	return err
}

// refuse names a construct fs does not take: calls, member access,
// slicing, sequences, and anything else.
func (w *walker) refuse(n ast.Node) error {
	switch n := n.(type) {
	case *ast.CallNode:
		name := "a function"
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			name = "the function " + id.Value + "()"
		}
		return w.unsupported(n, name)
	case *ast.MemberNode, *ast.ChainNode:
		return w.unsupported(n, "member access (a.b or a[i])")
	case *ast.SliceNode:
		return w.unsupported(n, "slicing")
	case *ast.SequenceNode:
		return w.unsupported(n, "a sequence of expressions (;)")
	}
	return w.unsupported(n, "this construct")
}

// fromExprError converts an expr-lang error into an *Error.
func fromExprError(src string, err error) error {
	if fe, ok := err.(*file.Error); ok {
		msg := fe.Message
		if strings.Contains(msg, "exceeds maximum allowed nodes") {
			return tooManyNodes(src, fe.From)
		}
		hint := ""
		if strings.HasPrefix(msg, "unexpected token") || strings.Contains(msg, "not properly closed") {
			hint = "check the parentheses and operators around this spot"
		}
		return errAt(src, fe.From, hint, "%s", msg)
	}
	return &Error{Line: 1, Column: 1, Message: err.Error()}
}
