package transforms

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Env lists the names an expression may read and their types: the columns
// of its source and the other features of that source.
type Env map[string]Type

// Program is a type-checked expression, ready to evaluate.
type Program struct {
	expr   *Expr
	output Type
	prog   *vm.Program
	col    *Columnar // nil: no column form
}

// Output returns the type of the values the program produces.
func (p *Program) Output() Type { return p.output }

// Expr returns the parsed expression the program was compiled from.
func (p *Program) Expr() *Expr { return p.expr }

// Compile type-checks e against env. want is the declared output type, or ""
// to infer it. Unknown names, type errors and an output type that cannot
// hold the value are returned as *Error.
func Compile(e *Expr, env Env, want Type) (*Program, error) {
	for _, n := range e.names {
		if _, ok := env[n]; !ok {
			candidates := make([]string, 0, len(env))
			for c := range env {
				candidates = append(candidates, c)
			}
			err := errAt(e.src, e.NameOffset(n), Suggest(n, candidates), "unknown name %s", n)
			err.Unknown = n
			return nil, err
		}
	}
	types := make(map[string]any, len(e.names))
	for _, n := range e.names {
		types[n] = env[n].zero()
	}
	opts := []expr.Option{expr.Env(types), expr.DisableAllBuiltins(), expr.Timezone("UTC"), expr.MaxNodes(MaxNodes)}
	for b := range builtins {
		if !guarded[b] {
			opts = append(opts, expr.EnableBuiltin(b))
		}
	}
	opts = append(opts, guardOptions()...)
	prog, err := expr.Compile(e.src, opts...)
	if err != nil {
		return nil, fromExprError(e.src, err)
	}
	got, ok := typeOf(prog.Node())
	if !ok {
		tree, err := parserTree(e.src)
		if err == nil {
			got = infer(tree, env, nil)
			ok = got != ""
		}
	}
	switch {
	case want == "" && !ok:
		return nil, &Error{Line: 1, Column: 1,
			Message: fmt.Sprintf("cannot infer the output type (the expression gives %s)", prog.Node().Type()),
			Hint:    "declare it with type: float64, int64, bool or string"}
	case want == "":
		want = got
	case ok && got != want && !(got == Int64 && want == Float64):
		return nil, &Error{Line: 1, Column: 1,
			Message: fmt.Sprintf("the expression gives %s but the feature declares type %s", got, want),
			Hint:    fmt.Sprintf("declare type: %s, or convert with float(), int() or string()", got)}
	}
	var as expr.Option
	switch want {
	case Float64:
		as = expr.AsFloat64()
	case Int64:
		as = expr.AsInt64()
	case Bool:
		as = expr.AsBool()
	case String:
		as = expr.AsKind(reflect.String)
	default:
		return nil, &Error{Line: 1, Column: 1, Message: fmt.Sprintf("a feature cannot have type %s", want),
			Hint: "use float64, int64, bool or string"}
	}
	prog, err = expr.Compile(e.src, append(opts, as)...)
	if err != nil {
		return nil, fromExprError(e.src, err)
	}
	p := &Program{expr: e, output: want, prog: prog}
	p.col = columnar(p, env)
	return p, nil
}

// typeOf maps the static type of the expression's root to a Type.
func typeOf(n ast.Node) (Type, bool) {
	switch n.Type().Kind() {
	case reflect.Float64, reflect.Float32:
		return Float64, true
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8,
		reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		return Int64, true
	case reflect.Bool:
		return Bool, true
	case reflect.String:
		return String, true
	}
	return "", false
}

// parserTree parses src again for inference: the compiled program's tree
// has been rewritten by the optimizer.
func parserTree(src string) (ast.Node, error) {
	e, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return e.tree, nil
}

// Evaluator evaluates a Program. It keeps a VM between calls, so it is not
// safe for concurrent use: make one per goroutine.
type Evaluator struct {
	p  *Program
	vm vm.VM
}

// NewEvaluator returns an Evaluator for p.
func (p *Program) NewEvaluator() *Evaluator { return &Evaluator{p: p} }

// Eval computes the value for one row. vals maps each name the expression
// reads to a float64, int, bool, string or time.Time, or to nil for null.
// A nil result means null (see the package documentation).
func (ev *Evaluator) Eval(vals map[string]any) (any, error) {
	e := ev.p.expr
	hasNull := false
	for _, n := range e.names {
		if vals[n] == nil {
			hasNull = true
			break
		}
	}
	if hasNull && !e.handlesNull {
		return nil, nil
	}
	out, err := ev.vm.Run(ev.p.prog, vals)
	if err != nil {
		if hasNull && isNilError(err) {
			return nil, nil
		}
		return nil, runtimeError(e.src, err)
	}
	return out, nil
}

// isNilError reports whether err is a nil meeting an operator that cannot
// take it. Only the message is read: the error's text also quotes the
// expression, which may spell nil where the error is another.
func isNilError(err error) bool {
	if fe, ok := err.(*file.Error); ok {
		return strings.Contains(fe.Message, "nil")
	}
	return strings.Contains(err.Error(), "nil")
}

func runtimeError(src string, err error) error {
	if fe, ok := err.(*file.Error); ok {
		return errAt(src, fe.From, "", "%s", fe.Message)
	}
	return &Error{Line: 1, Column: 1, Message: err.Error()}
}
