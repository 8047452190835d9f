// Package transforms hides expr-lang behind the few things fs needs from a
// feature expression: parse it (Parse), print it canonically
// (Expr.Canonical), list the names it reads (Expr.Names), type-check it
// against a source's columns (Compile) and evaluate it on a row
// (Program.Eval).
//
// # Determinism
//
// Only a whitelist of constructs is accepted: literals, names, arithmetic,
// comparison and logical operators, ?? and ternaries, let bindings, array
// literals for `in`, and pure builtins (abs, ceil, floor, round, int, float,
// string, len, upper, lower, trim, ...). Builtins that read the clock, the
// local time zone or map order (now, date, keys, values, ...) are refused,
// so an expression computes the same value on every machine.
//
// # Null semantics
//
// A null input makes the result null, unless the expression handles null
// itself by using ?? or nil: then nulls reach it as nil, and a nil that
// still reaches an operator that cannot take it makes the result null.
//
// # Limits
//
// An expression and its canonical form may be at most MaxLen bytes, and
// it may have at most MaxNodes syntax nodes (a in a ?: b counts twice);
// evaluation runs under expr's memory budget, and the operations that make
// strings longer check against MaxStringBytes before they allocate.
//
// # Values no type holds
//
// Integer +, - and * that overflow int64, and int() of a float no int64
// holds, are errors at the row, not wrapped values; string() of nil is nil
// (guard.go). These replace expr's builtins under the same names, so the
// canonical form, and every version, is unchanged.
package transforms
