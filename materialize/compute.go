package materialize

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// program is a compiled feature version, or a column it copies.
type program struct {
	v    *featurestore.FeatureVersion
	prog *transforms.Program
	copy *featurestore.Series   // set when the expression is one column
	cols []*featurestore.Series // the columns v.Columns names, in order
	col  *transforms.Columnar   // the column form, when it has one and no dependency
}

// compile prepares every version of the group against the source table.
func compile(g *group, table *featurestore.Table) (map[featurestore.ID]*program, error) {
	progs := map[featurestore.ID]*program{}
	for _, v := range g.versions { // dependencies come first
		p, err := compileVersion(v, v.Expr, v.Type, table, progs)
		if err != nil {
			return nil, err
		}
		progs[v.ID] = p
	}
	return progs, nil
}

// compileVersion compiles src, an expression of version v (its own, or
// an aggregation's filter), against table, the versions it depends on
// compiled already in progs; declared is the type it must have ("":
// inferred). An expression that is one column of the table copies it.
func compileVersion(v *featurestore.FeatureVersion, src string, declared transforms.Type, table *featurestore.Table,
	progs map[featurestore.ID]*program) (*program, error) {
	p := &program{v: v}
	for _, c := range v.Columns {
		p.cols = append(p.cols, table.Lookup(c.Name))
	}
	e, err := transforms.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("feature %s@%s: %w", v.Name, v.ID.Short(), err)
	}
	if c := table.Lookup(e.Canonical()); c != nil && len(v.DependsOn) == 0 &&
		slices.ContainsFunc(v.Columns, func(col featurestore.Column) bool { return col.Name == c.Name }) {
		p.copy = c
		return p, nil
	}
	env := transforms.Env{}
	for _, c := range v.Columns {
		env[c.Name] = c.Type
	}
	for _, d := range v.DependsOn {
		env[d.Name] = progs[d.Version].v.Type
	}
	if p.prog, err = transforms.Compile(e, env, declared); err != nil {
		return nil, fmt.Errorf("feature %s@%s: %w", v.Name, v.ID.Short(), err)
	}
	if len(v.DependsOn) == 0 {
		p.col = p.prog.Columnar()
	}
	return p, nil
}

// evaluator computes feature values on source rows; one per goroutine.
type evaluator struct {
	table *featurestore.Table
	progs map[featurestore.ID]*program
	evals map[featurestore.ID]*transforms.Evaluator
	envs  map[featurestore.ID]map[string]any
}

func newEvaluator(table *featurestore.Table, progs map[featurestore.ID]*program) *evaluator {
	e := &evaluator{table: table, progs: progs,
		evals: map[featurestore.ID]*transforms.Evaluator{}, envs: map[featurestore.ID]map[string]any{}}
	for id, p := range progs {
		if p.prog != nil {
			e.evals[id] = p.prog.NewEvaluator()
			e.envs[id] = make(map[string]any, len(p.v.Columns)+len(p.v.DependsOn))
		}
	}
	return e
}

// value computes version id on source row r: nil for null, else a float64,
// int64, bool or string as the version's type says.
func (e *evaluator) value(id featurestore.ID, r int) (any, error) {
	p := e.progs[id]
	if p.copy != nil {
		return convert(p.copy.Value(r), p.v.Type), nil
	}
	env := e.envs[id]
	for k, c := range p.v.Columns {
		env[c.Name] = p.cols[k].Value(r)
	}
	for _, d := range p.v.DependsOn {
		dv, err := e.value(d.Version, r)
		if err != nil {
			return nil, err
		}
		if i, ok := dv.(int64); ok {
			env[d.Name] = int(i)
		} else {
			env[d.Name] = dv
		}
	}
	out, err := e.evals[id].Eval(env)
	if err != nil {
		return nil, err
	}
	return convert(out, p.v.Type), nil
}

// convert brings a value to the Go type of t (int to int64, int64 to
// float64 for a float feature over an integer column).
func convert(v any, t transforms.Type) any {
	switch x := v.(type) {
	case int:
		if t == transforms.Float64 {
			return float64(x)
		}
		return int64(x)
	case int64:
		if t == transforms.Float64 {
			return float64(x)
		}
	}
	return v
}

// gather copies src[sel[i]] to dst[i] for the rows in [lo, hi) whose
// sel is not negative, converting an integer to a float for a float
// feature; a null stays null (Valid[i] false).
func gather(dst, src *featurestore.Series, sel []int32, lo, hi int) {
	switch {
	case dst.Type == transforms.Float64 && src.Type == transforms.Float64:
		gatherNum(dst.F64, dst.Valid, src.F64, src.Valid, sel, lo, hi)
	case dst.Type == transforms.Float64 && src.Type == transforms.Int64:
		gatherNum(dst.F64, dst.Valid, src.I64, src.Valid, sel, lo, hi)
	case dst.I64 != nil:
		gatherNum(dst.I64, dst.Valid, src.I64, src.Valid, sel, lo, hi)
	case dst.Type == transforms.Bool:
		gatherAny(dst.Bool, dst.Valid, src.Bool, src.Valid, sel, lo, hi)
	case dst.Type == transforms.String:
		gatherAny(dst.Str, dst.Valid, src.Str, src.Valid, sel, lo, hi)
	}
}

type number interface {
	~int64 | ~float64
}

func gatherNum[T, U number](dst []U, dstValid []bool, src []T, srcValid []bool, sel []int32, lo, hi int) {
	for i := lo; i < hi; i++ {
		r := sel[i]
		if r < 0 || (srcValid != nil && !srcValid[r]) {
			continue
		}
		dst[i] = U(src[r])
		dstValid[i] = true
	}
}

func gatherAny[T any](dst []T, dstValid []bool, src []T, srcValid []bool, sel []int32, lo, hi int) {
	for i := lo; i < hi; i++ {
		r := sel[i]
		if r < 0 || (srcValid != nil && !srcValid[r]) {
			continue
		}
		dst[i] = src[r]
		dstValid[i] = true
	}
}

// blocks runs fn over [0, n) in blocks, on every processor, each worker
// with its own evaluator (when newEv is set); the first error stops it.
func blocks(ctx context.Context, n int, fn func(lo, hi int, ev *evaluator) error, newEv func() *evaluator) error {
	var (
		mu       sync.Mutex
		next     int
		firstErr error
		wg       sync.WaitGroup
	)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ev *evaluator
			if newEv != nil {
				ev = newEv()
			}
			for {
				mu.Lock()
				if firstErr != nil || next >= n {
					mu.Unlock()
					return
				}
				lo := next
				hi := min(lo+block, n)
				next = hi
				mu.Unlock()
				err := ctx.Err()
				if err == nil {
					err = fn(lo, hi, ev)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// block is the number of entity rows a worker takes at a time.
const block = 16 * 1024

// computeGroup joins the group's features onto the entity rows.
func (j *Job) computeGroup(ctx context.Context, g *group, picked *Picked, ents *Entities,
	progress func(int)) ([]*featurestore.Series, []featurestore.FeatureNulls, error) {
	progs, err := compile(g, picked.Table)
	if err != nil {
		return nil, nil, err
	}
	n := ents.Table.Rows
	event := ents.Table.Lookup(ents.TimestampColumn).I64
	sel := pickedRows(picked)
	out := make([]*featurestore.Series, len(g.outputs))
	nulls := make([]featurestore.FeatureNulls, len(g.outputs))
	// Each feature column by itself: tight loops that overlap their
	// memory reads.
	for k, oi := range g.outputs {
		name, v := j.outputs[oi].Name, j.byID[j.outputs[oi].Version]
		use := withinTTL(sel, picked.Ts, event, int64(v.TTL))
		nulls[k] = countNulls(name, sel, use)
		if out[k] = shared(progs[v.ID], name, v.Type, use); out[k] == nil {
			if out[k], err = evaluate(ctx, g, v, progs, picked, name, use); err != nil {
				return nil, nil, err
			}
		}
		progress(n * (k + 1) / len(g.outputs))
	}
	for k, s := range out {
		all := true
		for _, ok := range s.Valid {
			all = all && ok
			if !ok {
				nulls[k].Nulls++
			}
		}
		if j.opt.RowNulls {
			nulls[k].Rows = rowNulls(s, sel, withinTTL(sel, picked.Ts, event, int64(j.byID[j.outputs[g.outputs[k]].Version].TTL)))
		}
		nulls[k].NullValue = nulls[k].Nulls - nulls[k].NoRow - nulls[k].OutsideTTL
		nulls[k].Inf = countInf(s)
		if all {
			s.Valid = nil
		}
	}
	return out, nulls, nil
}

// countInf counts a float column's valid rows that are +Inf or -Inf.
func countInf(s *featurestore.Series) int {
	if s.Type != transforms.Float64 {
		return 0
	}
	n := 0
	for i, v := range s.F64 {
		if math.IsInf(v, 0) && !s.Null(i) {
			n++
		}
	}
	return n
}

// withinTTL is sel less the rows outside the TTL (ttl > 0): the rows a
// feature takes.
func withinTTL(sel []int32, selTs, event []int64, ttl int64) []int32 {
	if ttl <= 0 {
		return sel
	}
	use := make([]int32, len(sel))
	for i, r := range sel {
		if r >= 0 && selTs[i] < event[i]-ttl {
			r = -1
		}
		use[i] = r
	}
	return use
}

// shared is the feature named name when it copies a picked column of its
// own type: the column's values, shared, not copied, valid where use
// takes the row (a picked table has entity row i at row i, so use[i] is
// i or -1). Nil otherwise.
func shared(p *program, name string, typ transforms.Type, use []int32) *featurestore.Series {
	c := p.copy
	if c == nil || c.Type != typ {
		return nil
	}
	s := &featurestore.Series{Name: name, Type: typ, F64: c.F64, I64: c.I64, Bool: c.Bool, Str: c.Str, Valid: make([]bool, len(use))}
	for i, r := range use {
		s.Valid[i] = r >= 0 && !c.Null(i)
	}
	return s
}

// evaluate computes feature version v on the rows use picks.
func evaluate(ctx context.Context, g *group, v *featurestore.FeatureVersion, progs map[featurestore.ID]*program,
	picked *Picked, name string, use []int32) (*featurestore.Series, error) {
	n := len(use)
	p := progs[v.ID]
	dst := featurestore.NewSeries(name, v.Type, n)
	dst.Valid = make([]bool, n) // every row is set below
	err := blocks(ctx, n, func(lo, hi int, ev *evaluator) error {
		if p.copy != nil {
			gather(dst, p.copy, use, lo, hi)
			return nil
		}
		if p.byColumn(dst, use, lo, hi) {
			return nil
		}
		for i := lo; i < hi; i++ {
			if use[i] < 0 {
				continue
			}
			val, err := ev.value(v.ID, int(use[i]))
			if err != nil {
				return fmt.Errorf("feature %s@%s on %s: %w", v.Name, v.ID.Short(), picked.where(g.src.Name, int(use[i])), err)
			}
			if val != nil {
				dst.Valid[i] = true
				dst.Set(i, n, val)
			}
		}
		return nil
	}, func() *evaluator { return newEvaluator(picked.Table, progs) })
	return dst, err
}

// byColumn computes rows [lo, hi) of dst with the column form when the
// program has one and each row takes its own source row (or none; use nil:
// every row its own). It reports false when it did not: the row form then
// computes the block and names the row that fails.
func (p *program) byColumn(dst *featurestore.Series, use []int32, lo, hi int) bool {
	if p.col == nil || p.prog.Output() != dst.Type {
		return false
	}
	active := make([]bool, hi-lo)
	for i := lo; i < hi; i++ {
		if use != nil && use[i] >= 0 && int(use[i]) != i {
			return false
		}
		active[i-lo] = use == nil || use[i] >= 0
	}
	in := make(map[string]*transforms.Vector, len(p.cols))
	for k, c := range p.v.Columns {
		in[c.Name] = vectorOf(p.cols[k], lo, hi)
	}
	out, ok := p.col.Eval(in, active, hi-lo)
	if !ok {
		return false
	}
	for k, valid := range out.Valid {
		if !valid {
			continue
		}
		i := lo + k
		dst.Valid[i] = true
		switch dst.Type {
		case transforms.Float64:
			dst.F64[i] = out.F64[k]
		case transforms.Int64:
			dst.I64[i] = out.I64[k]
		case transforms.Bool:
			dst.Bool[i] = out.Bool[k]
		default:
			dst.Str[i] = out.Str[k]
		}
	}
	return true
}

// vectorOf is rows [lo, hi) of s as the column form reads them.
func vectorOf(s *featurestore.Series, lo, hi int) *transforms.Vector {
	v := &transforms.Vector{Type: s.Type}
	if s.Valid != nil {
		v.Valid = s.Valid[lo:hi]
	}
	switch s.Type {
	case transforms.Float64:
		v.F64 = s.F64[lo:hi]
	case transforms.Int64:
		v.I64 = s.I64[lo:hi]
	case transforms.Bool:
		v.Bool = s.Bool[lo:hi]
	case transforms.String:
		v.Str = s.Str[lo:hi]
	}
	return v
}

// pickedRows is, for each entity row, the row of the picked table it
// takes (its own, or -1 when nothing was picked).
func pickedRows(picked *Picked) []int32 {
	sel := make([]int32, len(picked.Found))
	for i, found := range picked.Found {
		sel[i] = -1
		if found {
			sel[i] = int32(i)
		}
	}
	return sel
}

// rowNulls is each row's kind of null.
func rowNulls(s *featurestore.Series, sel, use []int32) []featurestore.NullKind {
	out := make([]featurestore.NullKind, len(sel))
	for i := range out {
		switch {
		case sel[i] < 0:
			out[i] = featurestore.NoRow
		case use[i] < 0:
			out[i] = featurestore.OutsideTTL
		case s.Null(i):
			out[i] = featurestore.NullValue
		}
	}
	return out
}

// countNulls counts the rows that got no source row (sel) and those whose
// row the TTL put out of reach (use).
func countNulls(name string, sel, use []int32) featurestore.FeatureNulls {
	c := featurestore.FeatureNulls{Name: name}
	for i, r := range sel {
		switch {
		case r < 0:
			c.NoRow++
		case use[i] < 0:
			c.OutsideTTL++
		}
	}
	return c
}

// nullReason explains a mostly null feature when fs can: every source row
// created after the cutoff, or none old enough for the events, or all
// outside the TTL.
func nullReason(c featurestore.FeatureNulls, rows int, allCreatedAfter bool, cutoff time.Time) string {
	if !c.MostlyNull(rows) {
		return ""
	}
	switch {
	case c.NoRow*2 >= rows && allCreatedAfter:
		return fmt.Sprintf("every source row was created after the cutoff %s (--as-of)", cutoff.Format(time.RFC3339))
	case c.NoRow*2 >= rows:
		return "most entity rows have no source row with their keys at or before their event time"
	case c.OutsideTTL*2 >= rows:
		return "the latest source row is older than the feature's ttl for most entity rows"
	case c.NullValue*2 >= rows:
		return "the source rows chosen hold nulls where the expression reads"
	}
	return ""
}
