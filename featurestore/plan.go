package featurestore

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fs-dev/fs/transforms"
)

// Status says what registering did to a feature or feature set name.
type Status string

const (
	StatusNew       Status = "new"
	StatusUnchanged Status = "unchanged"
	StatusChanged   Status = "changed"
)

// Plan is what registering a definition file will do. PlanRegister builds
// it without writing; Registry.Apply records it.
type Plan struct {
	File        string             `json:"file"`
	Entities    []Entity           `json:"entities"`
	Sources     []SourceChange     `json:"sources"`
	Features    []FeatureChange    `json:"features"`
	FeatureSets []FeatureSetChange `json:"feature_sets"`
	Time        time.Time          `json:"time"`
	By          string             `json:"by,omitempty"` // who registers it (HistoryEntry.By)
}

// FeatureChange is the outcome for one feature of the file.
type FeatureChange struct {
	Version  *FeatureVersion `json:"-"`
	Name     string          `json:"name"`
	ID       ID              `json:"version"`
	Type     transforms.Type `json:"type"`
	Status   Status          `json:"status"`
	Previous *ID             `json:"previous,omitempty"` // the version it changed from
	// SameAs lists other names that already point at this exact version:
	// a rename whose computation did not change.
	SameAs   []string `json:"same_as,omitempty"`
	Metadata Metadata `json:"metadata"`
}

// FeatureSetChange is the outcome for one feature set of the file.
type FeatureSetChange struct {
	Version  *FeatureSetVersion `json:"-"`
	Name     string             `json:"name"`
	ID       ID                 `json:"version"`
	Status   Status             `json:"status"`
	Previous *ID                `json:"previous,omitempty"`
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// PlanRegister checks every definition of defs and compares the versions
// with reg: Compile, then Compiled.Plan.
func PlanRegister(ctx context.Context, defs *Definitions, schemas SchemaReader, reg Registry, project string, now time.Time) (*Plan, error) {
	c, err := Compile(ctx, defs, schemas, project)
	if err != nil {
		return nil, err
	}
	return c.Plan(ctx, reg, now)
}

// Compiled is a definition file checked and versioned, not yet compared
// with a registry: what takes time (reading schemas, compiling every
// expression) is done without holding the store.
type Compiled struct {
	p *planner
}

// Compile checks every definition of defs (names, references, each
// source's parquet schema, each expression's syntax and types) and works
// out the version of every source and feature. project is the directory
// source paths inside it are versioned relative to (the one holding the
// store; see SourceLocation). All problems found are returned together,
// each naming the file, line and column.
func Compile(ctx context.Context, defs *Definitions, schemas SchemaReader, project string) (*Compiled, error) {
	p := &planner{ctx: ctx, defs: defs, schemas: schemas, project: project, errs: append(Errors(nil), defs.Problems...),
		entities: map[string]Entity{}, sources: map[string]*sourceInfo{},
		features: map[string]int{}, planned: map[string]*FeatureChange{}, failed: map[string]bool{}, overAggregates: map[string]bool{}}
	p.checkEntities()
	p.checkSources()
	p.checkFeatures()
	// Every feature that can be planned is, whatever else is wrong, so that
	// one pass reports every independent problem: a bad ttl does not hide a
	// cycle, nor a cycle the type errors of other features.
	for i := range defs.Features {
		if err := p.planFeature(i); err != nil {
			p.errs = append(p.errs, err)
		}
	}
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return &Compiled{p: p}, nil
}

// Plan compares the compiled versions with reg (new, unchanged or changed;
// renames; the members of feature sets, which may name registered
// features) and returns what registering will do.
func (c *Compiled) Plan(ctx context.Context, reg Registry, now time.Time) (*Plan, error) {
	p := c.p
	p.ctx, p.reg = ctx, reg
	defs := p.defs
	plan := &Plan{File: defs.File, Entities: defs.Entities, Time: now.UTC()}
	for _, s := range defs.Sources {
		ch, err := p.planSource(p.sources[s.Name])
		if err != nil {
			return nil, err
		}
		ch.Version.Created = plan.Time
		plan.Sources = append(plan.Sources, *ch)
	}
	for i := range defs.Features {
		ch := *p.planned[defs.Features[i].Name]
		if err := p.featureStatus(&ch); err != nil {
			return nil, err
		}
		v := *ch.Version
		v.Created = plan.Time
		ch.Version = &v
		plan.Features = append(plan.Features, ch)
	}
	var errs Errors
	for i := range defs.FeatureSets {
		ch, err := p.planSet(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ch != nil {
			ch.Version.Created = plan.Time
			plan.FeatureSets = append(plan.FeatureSets, *ch)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return plan, nil
}

type sourceInfo struct {
	src     Source
	entity  Entity
	schema  Schema
	version *SourceVersion
}

type planner struct {
	ctx      context.Context
	defs     *Definitions
	schemas  SchemaReader
	reg      Registry
	project  string
	entities map[string]Entity
	sources  map[string]*sourceInfo
	features map[string]int // name -> index in defs.Features
	planned  map[string]*FeatureChange
	failed   map[string]bool
	// overAggregates marks the row-level features that read aggregations
	// (evaluated per entity row, after them).
	overAggregates map[string]bool
	visiting       []string
	errs           Errors
}

func (p *planner) fail(field, hint, format string, args ...any) {
	p.errs = append(p.errs, p.defs.fieldError(field, hint, format, args...))
}

func (p *planner) checkName(kind, field, name string) {
	if !identRe.MatchString(name) {
		p.fail(field, "use letters, digits and _ and start with a letter or _",
			"%s name %q is not a valid name", kind, name)
	}
}

func (p *planner) checkEntities() {
	for i, e := range p.defs.Entities {
		f := fmt.Sprintf("entities[%d]", i)
		p.checkName("entity", f+".name", e.Name)
		if _, dup := p.entities[e.Name]; dup {
			p.fail(f+".name", "give each entity a different name", "entity %s is defined twice", e.Name)
		}
		if len(e.JoinKeys) == 0 {
			p.fail(f, "add join_keys: [the_key_column]", "entity %s has no join_keys", e.Name)
		}
		p.entities[e.Name] = e
	}
}

func (p *planner) checkSources() {
	for i, s := range p.defs.Sources {
		f := fmt.Sprintf("sources[%d]", i)
		p.checkName("source", f+".name", s.Name)
		if _, dup := p.sources[s.Name]; dup {
			p.fail(f+".name", "give each source a different name", "source %s is defined twice", s.Name)
			continue
		}
		ent, ok := p.entities[s.Entity]
		if !ok {
			p.fail(f+".entity", suggestHint(s.Entity, keys(p.entities), "define it under entities:"),
				"source %s: unknown entity %q", s.Name, s.Entity)
			continue
		}
		if s.Path == "" {
			p.fail(f, "add path: the parquet file, directory or glob", "source %s has no path", s.Name)
			continue
		}
		if s.TimestampField == "" {
			p.fail(f, "add timestamp_field: the column with each row's event time", "source %s has no timestamp_field", s.Name)
			continue
		}
		if !filepath.IsAbs(s.Path) && !IsURI(s.Path) {
			s.Path = filepath.Join(p.defs.Dir, s.Path)
		}
		schema, err := p.schemas.ReadSchema(s.Path)
		if err != nil {
			e := p.defs.fieldError(f+".path", ErrorHint(err), "source %s: %v", s.Name, messageOf(err))
			if ErrorCode(err) == ENOSTORE {
				e.Code = ENOSTORE // unreachable storage, not a bad definition: the command exits as for any unreachable server
			}
			p.errs = append(p.errs, e)
			continue
		}
		ok = true
		need := []struct{ field, col, what string }{{f + ".timestamp_field", s.TimestampField, "timestamp"}}
		if s.CreatedTimestampField != "" {
			need = append(need, struct{ field, col, what string }{f + ".created_timestamp_field", s.CreatedTimestampField, "timestamp"})
		}
		for _, k := range ent.JoinKeys {
			need = append(need, struct{ field, col, what string }{f + ".entity", k, "key"})
		}
		for _, n := range need {
			c, found := schema.Lookup(n.col)
			switch {
			case !found:
				p.fail(n.field, suggestHint(n.col, schema.Names(), "the file's columns are "+strings.Join(schema.Names(), ", ")),
					"source %s: column %q is not in %s", s.Name, n.col, s.Path)
				ok = false
			case n.what == "timestamp" && c.Type != transforms.Timestamp:
				p.fail(n.field, "point it at a parquet TIMESTAMP column",
					"source %s: column %q is %s, not a timestamp", s.Name, n.col, c.Physical)
				ok = false
			case n.what == "key" && c.Type != transforms.Int64 && c.Type != transforms.String:
				p.fail(n.field, "join keys must be integer or string columns",
					"source %s: join key %q is %s", s.Name, n.col, c.Physical)
				ok = false
			}
		}
		if ok {
			p.sources[s.Name] = &sourceInfo{src: s, entity: ent, schema: schema,
				version: NewSourceVersion(s, ent, p.project)}
		}
	}
}

func (p *planner) checkFeatures() {
	for i, f := range p.defs.Features {
		fld := fmt.Sprintf("features[%d]", i)
		p.checkName("feature", fld+".name", f.Name)
		if _, dup := p.features[f.Name]; dup {
			p.fail(fld+".name", "give each feature a different name", "feature %s is defined twice", f.Name)
			continue
		}
		p.features[f.Name] = i
		if _, ok := p.sources[f.Source]; !ok {
			if !p.sourceDefined(f.Source) {
				p.fail(fld+".source", suggestHint(f.Source, p.sourceNames(), "define it under sources:"),
					"feature %s: unknown source %q", f.Name, f.Source)
			}
			p.failed[f.Name] = true // its source's own error is reported; its expression cannot be checked
		}
		if f.TTL < 0 {
			p.fail(fld+".ttl", "use a positive duration such as 720h, or leave ttl out", "feature %s: negative ttl", f.Name)
		}
		if !p.checkAggregate(i) {
			p.failed[f.Name] = true
		}
	}
}

// checkAggregate checks the fields that make a feature an aggregation,
// and that a feature without them has an expression.
func (p *planner) checkAggregate(i int) bool {
	f := p.defs.Features[i]
	fld := fmt.Sprintf("features[%d]", i)
	switch {
	case f.Aggregate == "" && (f.Window != 0 || f.Where != ""):
		p.fail(fld+".aggregate", "add aggregate: count, sum, mean... (docs/definitions.md), or leave window and where out",
			"feature %s has a window or a where but no aggregate", f.Name)
	case f.Aggregate == "" && f.Expr == "":
		p.fail(fld, "add expr: the computation, e.g. a column name", "feature %s has no expr", f.Name)
	case f.Aggregate == "":
		return true
	case !IsAggregateFunction(f.Aggregate):
		p.fail(fld+".aggregate", suggestHint(f.Aggregate, AggregateFunctions, "the functions are "+strings.Join(AggregateFunctions, ", ")),
			"feature %s: unknown aggregate %q", f.Name, f.Aggregate)
	case f.Window < 0: // given but unreadable: reported where it was read
	case f.Window == 0:
		p.fail(fld+".window", "add window: the span of events before each entity row, such as 7d or 12h",
			"feature %s: an aggregation needs a window", f.Name)
	case f.TTL != 0:
		p.fail(fld+".ttl", "leave ttl out: the window bounds the events an aggregation reads",
			"feature %s: an aggregation takes a window, not a ttl", f.Name)
	case f.Expr == "" && f.Aggregate != AggCount:
		p.fail(fld+".expr", "add expr: the value to aggregate, e.g. a column name",
			"feature %s: %s needs a value to aggregate", f.Name, f.Aggregate)
	default:
		return true
	}
	return false
}

func (p *planner) sourceDefined(name string) bool {
	for _, s := range p.defs.Sources {
		if s.Name == name {
			return true
		}
	}
	return false
}

func (p *planner) sourceNames() []string {
	var out []string
	for _, s := range p.defs.Sources {
		out = append(out, s.Name)
	}
	return out
}

// planFeature compiles features[i] after the features it reads and
// computes its version. Problems are added to p.errs; a cycle is returned.
func (p *planner) planFeature(i int) error {
	f := p.defs.Features[i]
	if _, done := p.planned[f.Name]; done || p.failed[f.Name] {
		return nil
	}
	if err := p.refuseCycle(i); err != nil {
		return err
	}
	p.visiting = append(p.visiting, f.Name)
	defer func() { p.visiting = p.visiting[:len(p.visiting)-1] }()
	if f.Aggregate != "" {
		return p.planAggregate(i)
	}
	si := p.sources[f.Source]
	e, err := transforms.Parse(f.Expr)
	if err != nil {
		p.exprError(i, "expr", err)
		return nil
	}
	r, err := p.resolveNames(i, "expr", e, si)
	if err != nil || !r.ok {
		return err
	}
	if r.aggregates && len(r.cols) > 0 {
		p.fail(fmt.Sprintf("features[%d].expr", i), "compute the row-level part in the aggregation's expr, or in a feature of its own aggregated too",
			"feature %s reads the column %s and the aggregation %s: an expression over aggregations reads only aggregations", f.Name, r.cols[0].Name, r.aggregateName)
		p.failed[f.Name] = true
		return nil
	}
	prog, err := transforms.Compile(e, r.env, f.Type)
	if err != nil {
		p.exprError(i, "expr", p.explain(err, i, e, r.env, si))
		return nil
	}
	if r.aggregates && f.TTL != 0 {
		p.fail(fmt.Sprintf("features[%d].ttl", i), "leave ttl out: the aggregations' windows bound what they read",
			"feature %s reads aggregations: a ttl does not apply", f.Name)
		p.failed[f.Name] = true
		return nil
	}
	canon := e.Canonical()
	p.record(i, si, e.Canonical(), prog.Output(), nil, r, AggregateDescriptor(canon, prog.Output(), f.TTL, si.version.ID, nil, r.cols, r.deps))
	if r.aggregates {
		p.overAggregates[f.Name] = true
	}
	return nil
}

// record adds feature i's version to the plan.
func (p *planner) record(i int, si *sourceInfo, canon string, typ transforms.Type, agg *Aggregation, r *reads, desc string) {
	f := p.defs.Features[i]
	id := Hash([]byte(desc))
	meta := Metadata{Description: f.Description, Owner: f.Owner, Tags: f.Tags}
	v := &FeatureVersion{
		ID: id, Name: f.Name, Source: si.src, SourceVersion: si.version.ID, JoinKeys: si.entity.JoinKeys,
		Expr: f.Expr, Canonical: canon, Type: typ, TTL: f.TTL, Aggregation: agg,
		Columns: nonNil(r.cols), DependsOn: nonNilRefs(r.deps), Metadata: meta, Descriptor: desc,
	}
	p.planned[f.Name] = &FeatureChange{Version: v, Name: f.Name, ID: id, Type: v.Type, Metadata: meta}
}

// planAggregate compiles aggregation i: its value expression (none for a
// count of events) and filter, over the event row (columns and the
// row-level features of its source, never aggregations), and checks that
// the function takes the value's type.
func (p *planner) planAggregate(i int) error {
	f := p.defs.Features[i]
	fld := fmt.Sprintf("features[%d]", i)
	si := p.sources[f.Source]
	value, valueType, r, ok, err := p.compileOver(i, "expr", f.Expr, "")
	if err != nil || !ok {
		return err
	}
	agg := &Aggregation{Function: f.Aggregate, Window: f.Window, Where: f.Where}
	if f.Where != "" {
		where, _, wr, ok, err := p.compileOver(i, "where", f.Where, transforms.Bool)
		if err != nil || !ok {
			return err
		}
		agg.WhereCanonical = where.Canonical()
		r.merge(wr)
	}
	out, takes := AggregateType(f.Aggregate, valueType)
	if !takes {
		p.failed[f.Name] = true
		p.fail(fld+".aggregate", aggregateHint(f.Aggregate), "feature %s: %s does not take %s", f.Name, f.Aggregate, valueName(valueType))
		return nil
	}
	if f.Type != "" && f.Type != out {
		p.failed[f.Name] = true
		p.fail(fld+".type", fmt.Sprintf("leave type out, or write type: %s", out), "feature %s: %s gives %s, not %s", f.Name, f.Aggregate, out, f.Type)
		return nil
	}
	canon := ""
	if value != nil {
		canon = value.Canonical()
	}
	p.record(i, si, canon, out, agg, r, AggregateDescriptor(canon, out, 0, si.version.ID, agg, r.cols, r.deps))
	return nil
}

func valueName(t transforms.Type) string {
	if t == "" {
		return "the events alone (give expr: the value to aggregate)"
	}
	return string(t) + " values"
}

func aggregateHint(function string) string {
	switch function {
	case AggSum, AggMean, AggStddev:
		return "give expr a number; count the events a condition holds for with aggregate: count and where:"
	case AggMin, AggMax:
		return "give expr a number or a string (a feature holds no timestamp: take int(ts) for its nanoseconds)"
	}
	return "give expr: the value to aggregate"
}

// compileOver compiles feature i's field (expr or where), src, over the
// event row: the source's columns and its row-level features. An empty
// src compiles to nothing. It returns the parsed expression, its type and
// what it reads; ok is false when an error was reported.
func (p *planner) compileOver(i int, field, src string, want transforms.Type) (*transforms.Expr, transforms.Type, *reads, bool, error) {
	f := p.defs.Features[i]
	si := p.sources[f.Source]
	if src == "" {
		return nil, "", &reads{ok: true}, true, nil
	}
	e, err := transforms.Parse(src)
	if err != nil {
		p.exprError(i, field, err)
		return nil, "", nil, false, nil
	}
	r, err := p.resolveNames(i, field, e, si)
	if err != nil || !r.ok {
		return nil, "", nil, false, err
	}
	if r.aggregates {
		p.failed[f.Name] = true
		p.fail(fmt.Sprintf("features[%d].%s", i, field), "aggregate the row-level value; aggregations of aggregations are not supported",
			"feature %s: the %s of an aggregation reads the aggregation %s", f.Name, field, r.aggregateName)
		return nil, "", nil, false, nil
	}
	if want == transforms.Bool {
		if prog, err := transforms.Compile(e, r.env, ""); err == nil && prog.Output() != transforms.Bool {
			p.exprError(i, field, &transforms.Error{Line: 1, Column: 1, Message: fmt.Sprintf("%s gives %s, not a condition", field, prog.Output()),
				Hint: "write a condition, such as fare > 20 or city == \"paris\" (a null counts as false)"})
			return nil, "", nil, false, nil
		}
	}
	prog, err := transforms.Compile(e, r.env, want)
	if err != nil {
		p.exprError(i, field, p.explain(err, i, e, r.env, si))
		return nil, "", nil, false, nil
	}
	return e, prog.Output(), r, true, nil
}

// refuseCycle reports feature i if planning it is already under way: a
// cycle, reported once for all its members.
func (p *planner) refuseCycle(i int) error {
	f := p.defs.Features[i]
	if !slices.Contains(p.visiting, f.Name) {
		return nil
	}
	cycle := append(append([]string{}, p.visiting[indexOf(p.visiting, f.Name):]...), f.Name)
	for _, member := range cycle {
		p.failed[member] = true // reported once, here
	}
	return p.defs.fieldError(fmt.Sprintf("features[%d].expr", i), "a feature cannot depend on itself, directly or through others",
		"feature %s: cycle %s", f.Name, strings.Join(cycle, " -> "))
}

// reads is what an expression reads: the environment it is compiled
// in, the source columns and the features it depends on (planned first),
// and whether one of them is an aggregation (or reads aggregations).
type reads struct {
	env           transforms.Env
	cols          []Column
	deps          []FeatureRef
	aggregates    bool
	aggregateName string // the first aggregation read, for messages
	ok            bool   // false: the feature cannot be planned (its error, or a dependency's, is reported)
}

// merge adds what another expression of the same feature reads.
func (r *reads) merge(o *reads) {
	for _, c := range o.cols {
		if !slices.ContainsFunc(r.cols, func(x Column) bool { return x.Name == c.Name }) {
			r.cols = append(r.cols, c)
		}
	}
	for _, d := range o.deps {
		if !slices.Contains(r.deps, d) {
			r.deps = append(r.deps, d)
		}
	}
	slices.SortFunc(r.cols, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(r.deps, func(a, b FeatureRef) int { return strings.Compare(a.Name, b.Name) })
}

// resolveNames types the names an expression of feature i (its field)
// reads: another feature of the same source wins over a column, except
// the feature's own name, which is the column.
func (p *planner) resolveNames(i int, field string, e *transforms.Expr, si *sourceInfo) (*reads, error) {
	f := p.defs.Features[i]
	r := &reads{env: transforms.Env{}}
	for _, c := range si.schema {
		if c.Type != "" {
			r.env[c.Name] = c.Type
		}
	}
	for _, n := range e.Names() {
		j, isFeature := p.features[n]
		if isFeature && n != f.Name && p.defs.Features[j].Source == f.Source {
			if err := p.planFeature(j); err != nil {
				return nil, err
			}
			dep, planned := p.planned[n]
			if !planned {
				return r, nil // the dependency failed; its own error is reported
			}
			r.env[n] = dep.Version.Type
			r.deps = append(r.deps, FeatureRef{Name: n, Version: dep.ID})
			if dep.Version.Aggregation != nil || p.overAggregates[n] {
				if !r.aggregates {
					r.aggregateName = n
				}
				r.aggregates = true
			}
			continue
		}
		if c, found := si.schema.Lookup(n); found {
			if c.Type == "" {
				line, col := e.NamePosition(n)
				p.exprError(i, field, &transforms.Error{Line: line, Column: col,
					Message: fmt.Sprintf("column %s has parquet type %s, which expressions cannot read", n, c.Physical),
					Hint:    "expressions read integer, float, boolean, string and timestamp columns"})
				return r, nil
			}
			r.cols = append(r.cols, c)
		}
	}
	r.ok = true
	return r, nil
}

// explain adds a hint to a compile error: names like the unknown one
// among the source's columns and its other features, or the types of
// the names the expression reads.
func (p *planner) explain(err error, i int, e *transforms.Expr, env transforms.Env, si *sourceInfo) error {
	te, ok := err.(*transforms.Error)
	if !ok {
		return err
	}
	f := p.defs.Features[i]
	if te.Unknown != "" {
		known := si.schema.Names()
		for _, o := range p.defs.Features {
			if o.Source == f.Source && o.Name != f.Name {
				known = append(known, o.Name)
			}
		}
		te.Hint = suggestHint(te.Unknown, known, "the source's columns are "+strings.Join(si.schema.Names(), ", "))
	}
	if te.Hint == "" {
		var read []string
		for _, n := range e.Names() {
			read = append(read, fmt.Sprintf("%s is %s", n, env[n]))
		}
		te.Hint = "convert with float(), int() or string()"
		if len(read) > 0 {
			te.Hint = strings.Join(read, ", ") + "; " + te.Hint
		}
	}
	return te
}

// featureStatus compares a feature's version with the registry's: new,
// unchanged or changed, and the other names of the same version.
func (p *planner) featureStatus(ch *FeatureChange) error {
	head, err := p.reg.FeatureHead(p.ctx, ch.Name)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		ch.Status = StatusNew
	case err != nil:
		return fmt.Errorf("read feature %s: %w", ch.Name, err)
	case head.Current == ch.ID:
		ch.Status = StatusUnchanged
	default:
		ch.Status = StatusChanged
		prev := head.Current
		ch.Previous = &prev
	}
	names, err := p.reg.VersionNames(p.ctx, ch.ID)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return fmt.Errorf("read version %s: %w", ch.ID.Short(), err)
	}
	for _, n := range names {
		if n != ch.Name {
			ch.SameAs = append(ch.SameAs, n)
		}
	}
	return nil
}

// planSource compares a source's version with the registry's: new,
// unchanged, or changed, with the identity fields that differ.
func (p *planner) planSource(si *sourceInfo) (*SourceChange, error) {
	v := *si.version
	ch := &SourceChange{Version: &v, Source: si.src, Name: si.src.Name, ID: v.ID}
	head, err := p.reg.SourceHead(p.ctx, si.src.Name)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		ch.Status = StatusNew
		return ch, nil
	case err != nil:
		return nil, fmt.Errorf("read source %s: %w", si.src.Name, err)
	case head.Current == v.ID:
		ch.Status = StatusUnchanged
		return ch, nil
	}
	ch.Status = StatusChanged
	prev := head.Current
	ch.Previous = &prev
	old, err := p.reg.SourceVersion(p.ctx, prev)
	if err != nil {
		return nil, fmt.Errorf("read source %s: %w", si.src.Name, err)
	}
	ch.Changes = DiffFields("", old.Fields(), v.Fields())
	return ch, nil
}

// exprError reports a problem of feature i's expression (field expr or
// where) at its place in the file.
func (p *planner) exprError(i int, field string, err error) {
	f := p.defs.Features[i]
	p.failed[f.Name] = true
	path := fmt.Sprintf("features[%d].%s", i, field)
	te, ok := err.(*transforms.Error)
	if !ok {
		p.fail(path, "", "feature %s: %v", f.Name, err)
		return
	}
	loc := p.defs.locate(path)
	if p.defs.LocateIn != nil {
		loc = p.defs.LocateIn(path, te.Line, te.Column)
	}
	p.errs = append(p.errs, p.defs.errorAt(loc, te.Hint, "feature %s: %s", f.Name, te.Message))
}

func (p *planner) planSet(i int) (*FeatureSetChange, error) {
	s := p.defs.FeatureSets[i]
	fld := fmt.Sprintf("feature_sets[%d]", i)
	if !identRe.MatchString(s.Name) {
		return nil, p.defs.fieldError(fld+".name", "use letters, digits and _", "feature set name %q is not a valid name", s.Name)
	}
	if len(s.Features) == 0 {
		return nil, p.defs.fieldError(fld, "list its features: features: [a, b]", "feature set %s has no features", s.Name)
	}
	var members []FeatureRef
	seen := map[string]bool{}
	for j, m := range s.Features {
		mf := fmt.Sprintf("%s.features[%d]", fld, j)
		ref, err := p.resolveMember(m)
		if err != nil {
			return nil, p.defs.fieldError(mf, ErrorHint(err), "feature set %s: %s", s.Name, messageOf(err))
		}
		if seen[ref.Name] {
			return nil, p.defs.fieldError(mf, "list each feature once", "feature set %s lists %s twice", s.Name, ref.Name)
		}
		seen[ref.Name] = true
		members = append(members, ref)
	}
	desc := FeatureSetDescriptor(members)
	id := Hash([]byte(desc))
	ch := &FeatureSetChange{Name: s.Name, ID: id,
		Version: &FeatureSetVersion{ID: id, Name: s.Name, Members: members, Descriptor: desc}}
	head, err := p.reg.FeatureSetHead(p.ctx, s.Name)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		ch.Status = StatusNew
	case err != nil:
		return nil, fmt.Errorf("read feature set %s: %w", s.Name, err)
	case head.Current == id:
		ch.Status = StatusUnchanged
	default:
		ch.Status = StatusChanged
		prev := head.Current
		ch.Previous = &prev
	}
	return ch, nil
}

// resolveMember resolves "name" or "name@VERSION" to a version: a feature
// of this file, or one already in the registry.
func (p *planner) resolveMember(m string) (FeatureRef, error) {
	name, pin, pinned := strings.Cut(m, "@")
	if !pinned {
		if ch, ok := p.planned[name]; ok {
			return FeatureRef{Name: name, Version: ch.ID}, nil
		}
		head, err := p.reg.FeatureHead(p.ctx, name)
		if err != nil {
			if ErrorCode(err) == ENOTFOUND {
				known := keys(p.features)
				return FeatureRef{}, Errorf(ENOTFOUND, "unknown feature %q", name).
					WithHint("%s", suggestHint(name, known, "define it under features: or register it first"))
			}
			return FeatureRef{}, err
		}
		return FeatureRef{Name: name, Version: head.Current}, nil
	}
	ref, err := ResolveRef(p.ctx, p.reg, name, pin)
	if err == nil {
		return ref, nil
	}
	// A pin may also name the version this very file defines.
	if ch, ok := p.planned[name]; ok && strings.HasPrefix(ch.ID.String(), strings.ToLower(pin)) {
		return FeatureRef{Name: name, Version: ch.ID}, nil
	}
	return FeatureRef{}, err
}

// ResolveArg resolves a command-line feature argument: NAME is the
// feature's current version, NAME@PREFIX one that NAME has pointed at.
func ResolveArg(ctx context.Context, reg Registry, arg string) (FeatureRef, error) {
	name, prefix, pinned := strings.Cut(arg, "@")
	if pinned {
		return ResolveRef(ctx, reg, name, prefix)
	}
	head, err := reg.FeatureHead(ctx, name)
	if err != nil {
		return FeatureRef{}, err
	}
	return FeatureRef{Name: name, Version: head.Current}, nil
}

// ResolveRef resolves NAME@PREFIX to a version that NAME has pointed at.
func ResolveRef(ctx context.Context, reg Registry, name, prefix string) (FeatureRef, error) {
	if !IsIDPrefix(prefix) {
		return FeatureRef{}, Errorf(EINVALID, "%q is not a version (at least 4 hex characters)", prefix).
			WithHint("copy the version from fs features show %s", name)
	}
	hist, err := reg.FeatureHistory(ctx, name)
	if err != nil {
		return FeatureRef{}, err
	}
	prefix = strings.ToLower(prefix)
	var found []ID
	for _, h := range hist {
		if strings.HasPrefix(h.Version.String(), prefix) && indexOfID(found, h.Version) < 0 {
			found = append(found, h.Version)
		}
	}
	switch len(found) {
	case 0:
		return FeatureRef{}, Errorf(ENOTFOUND, "feature %s has no version %s", name, prefix).
			WithHint("fs features show %s lists its versions", name)
	case 1:
		return FeatureRef{Name: name, Version: found[0]}, nil
	}
	return FeatureRef{}, Errorf(EINVALID, "version prefix %s of feature %s is ambiguous", prefix, name).
		WithHint("give more characters of the version")
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func indexOfID(list []ID, id ID) int {
	for i, v := range list {
		if v == id {
			return i
		}
	}
	return -1
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func suggestHint(name string, candidates []string, otherwise string) string {
	if s := transforms.Suggest(name, candidates); s != "" {
		return s
	}
	return otherwise
}

// messageOf returns the message of an *Error without its cause's text
// repeated, or err's text.
func messageOf(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Message
	}
	return err.Error()
}

func nonNil(c []Column) []Column {
	if c == nil {
		return []Column{}
	}
	return c
}

func nonNilRefs(r []FeatureRef) []FeatureRef {
	if r == nil {
		return []FeatureRef{}
	}
	return r
}
