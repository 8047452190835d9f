// Package transforms hides expr-lang behind the few things fs needs from a
// feature expression: parse it (Parse), print it canonically
// (Expr.Canonical), list the names it reads (Expr.Names), type-check it
// against a source's columns (Compile) and evaluate it on a row
// (Evaluator.Eval) or on whole columns (Columnar.Eval).
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
//
// # Two evaluators, one answer
//
// The row form runs expr's VM on one row at a time. The column form
// (columns.go, columnops.go) computes the same expression over whole typed
// vectors with null masks: names, literals, arithmetic, comparisons, &&,
// ||, !, ??, ?: and abs, ceil, floor, round, float and int. It is built
// from the tree the VM runs (checked and optimized: constants folded,
// fs's checked operators in place), so it follows the same casts, the
// same short-circuits and the same typed comparisons; where a nil meets
// an operator it marks the row as the row form's error would (null when
// an input is null). An expression with a part that has no column form
// (let, strings built or searched, timestamps, the other builtins) has
// none, and a batch in which some row errs is evaluated again by row, so
// that the error names that row. TestColumnsMatchRows and
// FuzzColumnsMatchRows hold the two to the same bits over random
// expressions and data (nulls, NaN, infinities, -0, the int64 edges).
//
// A row form error is a null only when its message speaks of nil (an
// operator met a nil): the message, not the error's text, which quotes
// the expression and so may spell nil where the error is another.
package transforms
