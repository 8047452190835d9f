package transforms

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
)

// canonical prints a whitelisted tree in canonical form: every operator
// application is parenthesised, operators use one spelling, literals are
// printed without platform- or version-dependent formatting. It reports
// false when the text would be longer than MaxLen (and so would not parse
// back); printing stops soon after the limit.
func canonical(n ast.Node) (string, bool) {
	var b strings.Builder
	printNode(&b, n)
	if b.Len() > MaxLen {
		return "", false
	}
	return b.String(), true
}

func printNode(b *strings.Builder, n ast.Node) {
	if b.Len() > MaxLen {
		return
	}
	switch n := n.(type) {
	case *ast.NilNode:
		b.WriteString("nil")
	case *ast.IdentifierNode:
		b.WriteString(n.Value)
	case *ast.IntegerNode:
		b.WriteString(strconv.FormatInt(int64(n.Value), 10))
	case *ast.FloatNode:
		b.WriteString(formatFloat(n.Value))
	case *ast.BoolNode:
		b.WriteString(strconv.FormatBool(n.Value))
	case *ast.StringNode:
		quote(b, n.Value)
	case *ast.UnaryNode:
		b.WriteString("(")
		b.WriteString(unaryOps[n.Operator])
		printNode(b, n.Node)
		b.WriteString(")")
	case *ast.BinaryNode:
		b.WriteString("(")
		printNode(b, n.Left)
		b.WriteString(" ")
		b.WriteString(binaryOps[n.Operator])
		b.WriteString(" ")
		printNode(b, n.Right)
		b.WriteString(")")
	case *ast.ConditionalNode:
		b.WriteString("(")
		printNode(b, n.Cond)
		b.WriteString(" ? ")
		printNode(b, n.Exp1)
		b.WriteString(" : ")
		printNode(b, n.Exp2)
		b.WriteString(")")
	case *ast.BuiltinNode:
		b.WriteString(n.Name)
		b.WriteString("(")
		for i, a := range n.Arguments {
			if i > 0 {
				b.WriteString(", ")
			}
			printNode(b, a)
		}
		b.WriteString(")")
	case *ast.ArrayNode:
		b.WriteString("[")
		for i, a := range n.Nodes {
			if i > 0 {
				b.WriteString(", ")
			}
			printNode(b, a)
		}
		b.WriteString("]")
	case *ast.VariableDeclaratorNode:
		b.WriteString("(let ")
		b.WriteString(n.Name)
		b.WriteString(" = ")
		printNode(b, n.Value)
		b.WriteString("; ")
		printNode(b, n.Expr)
		b.WriteString(")")
	default:
		// Parse refuses every other node before printing.
		panic("transforms: canonical: unexpected node " + n.String())
	}
}

// formatFloat prints the shortest decimal that parses back to f, always
// with a '.' or an exponent so it stays a float literal. Go's shortest
// formatting is exact and platform-independent.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}

// quote writes s as a double-quoted expr string literal. Only ASCII control
// characters, quotes and backslashes are escaped, so the output does not
// depend on Unicode tables. Parse refuses text that is not valid UTF-8.
func quote(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
