package transforms

import "github.com/expr-lang/expr/ast"

// infer works out the static type of a whitelisted tree where expr-lang's
// checker gives up (it types a ?? b as interface{}, and everything built on
// it). "" means unknown.
func infer(n ast.Node, env Env, bound map[string]Type) Type {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return Int64
	case *ast.FloatNode:
		return Float64
	case *ast.BoolNode:
		return Bool
	case *ast.StringNode:
		return String
	case *ast.IdentifierNode:
		if t, ok := bound[n.Value]; ok {
			return t
		}
		return env[n.Value]
	case *ast.UnaryNode:
		if unaryOps[n.Operator] == "!" {
			return Bool
		}
		return infer(n.Node, env, bound)
	case *ast.BinaryNode:
		l, r := infer(n.Left, env, bound), infer(n.Right, env, bound)
		switch binaryOps[n.Operator] {
		case "??":
			return unify(l, r)
		case "+":
			if l == String && r == String {
				return String
			}
			return numeric(l, r)
		case "-", "*":
			return numeric(l, r)
		case "/", "**":
			if numeric(l, r) == "" {
				return ""
			}
			return Float64
		case "%":
			if l == Int64 && r == Int64 {
				return Int64
			}
			return ""
		default: // comparisons, logic, in, contains, matches, ...
			return Bool
		}
	case *ast.ConditionalNode:
		return unify(infer(n.Exp1, env, bound), infer(n.Exp2, env, bound))
	case *ast.VariableDeclaratorNode:
		inner := map[string]Type{}
		for k, v := range bound {
			inner[k] = v
		}
		inner[n.Name] = infer(n.Value, env, bound)
		return infer(n.Expr, env, inner)
	case *ast.BuiltinNode:
		switch n.Name {
		case "abs":
			if len(n.Arguments) == 1 {
				return numeric(infer(n.Arguments[0], env, bound), Int64)
			}
		case "ceil", "floor", "round", "float":
			return Float64
		case "int", "len", "indexOf", "lastIndexOf":
			return Int64
		case "string", "upper", "lower", "trim", "trimPrefix", "trimSuffix", "replace":
			return String
		case "hasPrefix", "hasSuffix":
			return Bool
		case "min", "max":
			var t Type = Int64
			for _, a := range n.Arguments {
				t = numeric(t, infer(a, env, bound))
			}
			return t
		}
	}
	return ""
}

// numeric is the type of arithmetic on l and r: int64 for two ints,
// float64 when either is a float, unknown otherwise.
func numeric(l, r Type) Type {
	switch {
	case l == Int64 && r == Int64:
		return Int64
	case (l == Int64 || l == Float64) && (r == Int64 || r == Float64):
		return Float64
	}
	return ""
}

// unify is the type of a value that is either l or r.
func unify(l, r Type) Type {
	if l == r {
		return l
	}
	return numeric(l, r)
}
