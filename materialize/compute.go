package materialize

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// program is a compiled feature version, or a column it copies.
type program struct {
	v    *featurestore.FeatureVersion
	prog *transforms.Program
	copy *featurestore.Series // set when the expression is one column
}

// compile prepares every version of the group against the source table.
func compile(g *group, table *featurestore.Table) (map[featurestore.ID]*program, error) {
	progs := map[featurestore.ID]*program{}
	for _, v := range g.versions { // dependencies come first
		p := &program{v: v}
		if len(v.Columns) == 1 && len(v.DependsOn) == 0 && v.Canonical == v.Columns[0].Name {
			p.copy = table.Lookup(v.Columns[0].Name)
			progs[v.ID] = p
			continue
		}
		e, err := transforms.Parse(v.Expr)
		if err != nil {
			return nil, fmt.Errorf("feature %s@%s: %w", v.Name, v.ID.Short(), err)
		}
		env := transforms.Env{}
		for _, c := range v.Columns {
			env[c.Name] = c.Type
		}
		for _, d := range v.DependsOn {
			env[d.Name] = progs[d.Version].v.Type
		}
		p.prog, err = transforms.Compile(e, env, v.Type)
		if err != nil {
			return nil, fmt.Errorf("feature %s@%s: %w", v.Name, v.ID.Short(), err)
		}
		progs[v.ID] = p
	}
	return progs, nil
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
	for _, c := range p.v.Columns {
		env[c.Name] = e.table.Lookup(c.Name).Value(r)
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

func set(s *featurestore.Series, i, n int, v any) {
	switch x := v.(type) {
	case nil:
		s.SetNull(i, n)
	case float64:
		s.F64[i] = x
	case int64:
		s.I64[i] = x
	case bool:
		s.Bool[i] = x
	case string:
		s.Str[i] = x
	}
}

// block is the number of entity rows a worker takes at a time.
const block = 16 * 1024

// computeGroup joins the group's features onto the entity rows.
func (j *Job) computeGroup(ctx context.Context, g *group, table *featurestore.Table, ents *Entities,
	cutoff time.Time, progress func(int)) ([]*featurestore.Series, error) {
	var keys []*featurestore.Series
	var entKeys []*featurestore.Series
	for _, k := range g.joinKeys {
		keys = append(keys, table.Lookup(k))
		entKeys = append(entKeys, ents.Table.Lookup(k))
	}
	ts := table.Lookup(g.src.TimestampField)
	var created *featurestore.Series
	if g.src.CreatedTimestampField != "" {
		created = table.Lookup(g.src.CreatedTimestampField)
	}
	idx := buildIndex(keys, ts, created, cutoff.UnixNano(), !cutoff.IsZero())
	progs, err := compile(g, table)
	if err != nil {
		return nil, err
	}
	n := ents.Table.Rows
	event := ents.Table.Lookup(ents.TimestampColumn).I64
	entKey := keyFuncFor(entKeys)
	out := make([]*featurestore.Series, len(g.outputs))
	for i, oi := range g.outputs {
		v := j.byID[j.outputs[oi].Version]
		out[i] = featurestore.NewSeries(j.outputs[oi].Name, v.Type, n)
		out[i].Valid = make([]bool, n) // filled below; every row is set
	}
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		next     int
	)
	work := func() {
		ev := newEvaluator(table, progs)
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
			if err := ctx.Err(); err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			for i := lo; i < hi; i++ {
				r, rts := idx.lookup(entKey, i, event[i])
				for k, oi := range g.outputs {
					v := j.byID[j.outputs[oi].Version]
					if r < 0 || (v.TTL > 0 && rts < event[i]-int64(v.TTL)) {
						continue // Valid[i] stays false: null
					}
					val, err := ev.value(v.ID, int(r))
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("feature %s@%s on source %s row %d: %w", v.Name, v.ID.Short(), g.src.Name, r+1, err)
						}
						mu.Unlock()
						return
					}
					if val != nil {
						out[k].Valid[i] = true
						set(out[k], i, n, val)
					}
				}
			}
			mu.Lock()
			done += hi - lo
			d := done
			mu.Unlock()
			progress(d)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() { defer wg.Done(); work() }()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, s := range out {
		all := true
		for _, ok := range s.Valid {
			all = all && ok
		}
		if all {
			s.Valid = nil
		}
	}
	return out, nil
}
