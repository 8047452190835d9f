package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// Run runs the suite. newStore returns an empty registry; the suite does
// not close it.
func Run(t *testing.T, newStore func(t *testing.T) featurestore.Registry) {
	tests := []struct {
		name string
		fn   func(t *testing.T, reg featurestore.Registry)
	}{
		{"EmptyStore", testEmpty},
		{"ApplyAndRead", testApplyAndRead},
		{"ChangeKeepsOldVersion", testChange},
		{"VersionsAreImmutable", testImmutable},
		{"RenameSharesVersion", testRename},
		{"ResolvePrefix", testResolve},
		{"FeatureSets", testSets},
		{"RevertToOlderVersion", testRevert},
		{"SourceVersions", testSources},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var (
	testSource = featurestore.Source{Name: "s", Path: "/data/s.parquet", Entity: "driver", TimestampField: "ts"}
	testEntity = featurestore.Entity{Name: "driver", JoinKeys: []string{"driver_id"}}
)

// version makes a feature version of testSource whose ID hashes expr.
func version(name, expr string) *featurestore.FeatureVersion {
	src := testSource
	sv := featurestore.NewSourceVersion(src, testEntity, "/data")
	cols := []featurestore.Column{{Name: "x", Physical: "DOUBLE", Type: transforms.Float64}}
	desc := featurestore.FeatureDescriptor(expr, transforms.Float64, 0, sv.ID, cols, nil)
	return &featurestore.FeatureVersion{ID: featurestore.Hash([]byte(desc)), Name: name, Source: src, SourceVersion: sv.ID,
		JoinKeys: testEntity.JoinKeys, Expr: expr, Canonical: expr, Type: transforms.Float64,
		Columns: cols, DependsOn: []featurestore.FeatureRef{}, Descriptor: desc}
}

// sourceChange is the change registering src would make to reg.
func sourceChange(reg featurestore.Registry, src featurestore.Source, at time.Time) featurestore.SourceChange {
	sv := featurestore.NewSourceVersion(src, testEntity, "/data")
	sv.Created = at
	ch := featurestore.SourceChange{Version: sv, Source: src, Name: src.Name, ID: sv.ID, Status: featurestore.StatusNew}
	if h, err := reg.SourceHead(context.Background(), src.Name); err == nil {
		ch.Status = featurestore.StatusChanged
		if h.Current == sv.ID {
			ch.Status = featurestore.StatusUnchanged
		}
	}
	return ch
}

// plan builds a plan that points each name at its version, computing the
// statuses from reg as PlanRegister would.
func plan(t *testing.T, reg featurestore.Registry, at time.Time, vs ...*featurestore.FeatureVersion) *featurestore.Plan {
	t.Helper()
	p := &featurestore.Plan{File: "test.yaml", Time: at,
		Entities: []featurestore.Entity{testEntity},
		Sources:  []featurestore.SourceChange{sourceChange(reg, vs[0].Source, at)}}
	for _, v := range vs {
		v := *v
		v.Created = at
		ch := featurestore.FeatureChange{Version: &v, Name: v.Name, ID: v.ID, Status: featurestore.StatusNew, Metadata: v.Metadata}
		if h, err := reg.FeatureHead(context.Background(), v.Name); err == nil {
			ch.Status = featurestore.StatusChanged
			if h.Current == v.ID {
				ch.Status = featurestore.StatusUnchanged
			}
		}
		p.Features = append(p.Features, ch)
	}
	return p
}

func apply(t *testing.T, reg featurestore.Registry, p *featurestore.Plan) {
	t.Helper()
	if err := reg.Apply(context.Background(), p); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := featurestore.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func testEmpty(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	heads, err := reg.FeatureHeads(ctx)
	if err != nil || len(heads) != 0 {
		t.Fatalf("FeatureHeads = %v, %v; want empty", heads, err)
	}
	_, err = reg.FeatureHead(ctx, "nope")
	wantCode(t, err, featurestore.ENOTFOUND)
	_, err = reg.FeatureHistory(ctx, "nope")
	wantCode(t, err, featurestore.ENOTFOUND)
	_, err = reg.FeatureVersion(ctx, featurestore.Hash([]byte("x")))
	wantCode(t, err, featurestore.ENOTFOUND)
	_, err = reg.ResolveFeatureVersion(ctx, "abcd")
	wantCode(t, err, featurestore.ENOTFOUND)
	_, err = reg.FeatureSetHead(ctx, "nope")
	wantCode(t, err, featurestore.ENOTFOUND)
	_, err = reg.SourceHead(ctx, "nope")
	wantCode(t, err, featurestore.ENOTFOUND)
	_, err = reg.SourceHistory(ctx, "nope")
	wantCode(t, err, featurestore.ENOTFOUND)
	_, err = reg.SourceVersion(ctx, featurestore.Hash([]byte("x")))
	wantCode(t, err, featurestore.ENOTFOUND)
}

func testApplyAndRead(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	a, b := version("b_feature", "(x * 2)"), version("a_feature", "(x + 1)")
	apply(t, reg, plan(t, reg, t0, a, b))
	heads, err := reg.FeatureHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != 2 || heads[0].Name != "a_feature" || heads[1].Name != "b_feature" {
		t.Fatalf("FeatureHeads = %+v, want a_feature, b_feature sorted", heads)
	}
	if heads[1].Current != a.ID || heads[1].Versions != 1 || heads[1].Source != "s" || heads[1].Type != transforms.Float64 {
		t.Errorf("head = %+v", heads[1])
	}
	got, err := reg.FeatureVersion(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || got.Expr != a.Expr || got.Descriptor != a.Descriptor || !got.Created.Equal(t0) || got.Columns[0].Physical != "DOUBLE" {
		t.Errorf("FeatureVersion = %+v", got)
	}
	src, err := reg.Sources(ctx)
	if err != nil || len(src) != 1 || src[0].Name != "s" {
		t.Errorf("Sources = %v, %v", src, err)
	}
	ents, err := reg.Entities(ctx)
	if err != nil || len(ents) != 1 || ents[0].JoinKeys[0] != "driver_id" {
		t.Errorf("Entities = %v, %v", ents, err)
	}
}

func testChange(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	v1, v2 := version("f", "(x / 24.0)"), version("f", "(x / 24)")
	apply(t, reg, plan(t, reg, t0, v1))
	apply(t, reg, plan(t, reg, t0.Add(time.Hour), v2))
	head, err := reg.FeatureHead(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if head.Current != v2.ID || head.Versions != 2 || !head.Updated.Equal(t0.Add(time.Hour)) {
		t.Errorf("head = %+v, want current %s with 2 versions", head, v2.ID.Short())
	}
	hist, err := reg.FeatureHistory(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Version != v2.ID || hist[1].Version != v1.ID {
		t.Fatalf("history = %+v, want v2 then v1", hist)
	}
	if _, err := reg.FeatureVersion(ctx, v1.ID); err != nil {
		t.Errorf("old version is gone: %v", err)
	}
}

func testImmutable(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	v := version("f", "(x + 1)")
	apply(t, reg, plan(t, reg, t0, v))
	again := *v
	again.Expr = "x+1"
	again.Metadata.Description = "new words"
	apply(t, reg, plan(t, reg, t0.Add(time.Hour), &again))
	got, err := reg.FeatureVersion(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Expr != v.Expr || !got.Created.Equal(t0) {
		t.Errorf("version was rewritten: expr %q created %v", got.Expr, got.Created)
	}
	hist, _ := reg.FeatureHistory(ctx, "f")
	if len(hist) != 1 {
		t.Errorf("re-registering the same version added history: %+v", hist)
	}
	head, _ := reg.FeatureHead(ctx, "f")
	if head.Metadata.Description != "new words" {
		t.Errorf("metadata not updated on the head: %+v", head.Metadata)
	}
}

func testRename(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	v := version("old_name", "(x + 1)")
	apply(t, reg, plan(t, reg, t0, v))
	renamed := *v
	renamed.Name = "new_name"
	apply(t, reg, plan(t, reg, t0.Add(time.Hour), &renamed))
	names, err := reg.VersionNames(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(names) != "[new_name old_name]" {
		t.Errorf("VersionNames = %v, want [new_name old_name]", names)
	}
	got, _ := reg.FeatureVersion(ctx, v.ID)
	if got.Name != "old_name" {
		t.Errorf("version records name %q, want the first name old_name", got.Name)
	}
}

func testResolve(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	var vs []*featurestore.FeatureVersion
	for i := 0; i < 300; i++ {
		vs = append(vs, version(fmt.Sprintf("f%d", i), fmt.Sprintf("(x + %d)", i)))
	}
	apply(t, reg, plan(t, reg, t0, vs...))
	id, err := reg.ResolveFeatureVersion(ctx, vs[7].ID.String()[:12])
	if err != nil || id != vs[7].ID {
		t.Fatalf("Resolve(12 chars) = %v, %v", id, err)
	}
	id, err = reg.ResolveFeatureVersion(ctx, vs[7].ID.String())
	if err != nil || id != vs[7].ID {
		t.Fatalf("Resolve(full) = %v, %v", id, err)
	}
	_, err = reg.ResolveFeatureVersion(ctx, "abc")
	wantCode(t, err, featurestore.EINVALID) // shorter than 4 characters
	_, err = reg.ResolveFeatureVersion(ctx, "not-hex")
	wantCode(t, err, featurestore.EINVALID)
	// Two versions whose ids share their first 4 hex characters (found by
	// hashing, deterministically) make that prefix ambiguous.
	byPrefix := map[string]*featurestore.FeatureVersion{}
	for i := 1000; ; i++ {
		v := version(fmt.Sprintf("g%d", i), fmt.Sprintf("(x * %d)", i))
		p := v.ID.String()[:4]
		if other, ok := byPrefix[p]; ok {
			apply(t, reg, plan(t, reg, t0, other, v))
			_, err := reg.ResolveFeatureVersion(ctx, p)
			wantCode(t, err, featurestore.EINVALID)
			if id, err := reg.ResolveFeatureVersion(ctx, v.ID.String()[:16]); err != nil || id != v.ID {
				t.Errorf("Resolve(16 chars) beside a 4-char twin = %v, %v", id, err)
			}
			break
		}
		byPrefix[p] = v
	}
	ref, err := featurestore.ResolveRef(ctx, reg, "f7", vs[7].ID.Short())
	if err != nil || ref.Version != vs[7].ID {
		t.Errorf("ResolveRef = %v, %v", ref, err)
	}
	_, err = featurestore.ResolveRef(ctx, reg, "f8", vs[7].ID.Short())
	wantCode(t, err, featurestore.ENOTFOUND)
}

func testSets(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	a, b := version("a", "(x + 1)"), version("b", "(x + 2)")
	p := plan(t, reg, t0, a, b)
	members := []featurestore.FeatureRef{{Name: "a", Version: a.ID}, {Name: "b", Version: b.ID}}
	desc := featurestore.FeatureSetDescriptor(members)
	sv := &featurestore.FeatureSetVersion{ID: featurestore.Hash([]byte(desc)), Name: "set", Members: members, Created: t0, Descriptor: desc}
	p.FeatureSets = []featurestore.FeatureSetChange{{Version: sv, Name: "set", ID: sv.ID, Status: featurestore.StatusNew}}
	apply(t, reg, p)
	head, err := reg.FeatureSetHead(ctx, "set")
	if err != nil || head.Current != sv.ID || head.Versions != 1 {
		t.Fatalf("FeatureSetHead = %+v, %v", head, err)
	}
	got, err := reg.FeatureSetVersion(ctx, sv.ID)
	if err != nil || len(got.Members) != 2 || got.Members[1].Version != b.ID {
		t.Fatalf("FeatureSetVersion = %+v, %v", got, err)
	}
	heads, err := reg.FeatureSetHeads(ctx)
	if err != nil || len(heads) != 1 {
		t.Fatalf("FeatureSetHeads = %+v, %v", heads, err)
	}
	hist, err := reg.FeatureSetHistory(ctx, "set")
	if err != nil || len(hist) != 1 {
		t.Fatalf("FeatureSetHistory = %+v, %v", hist, err)
	}
}

func testRevert(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	v1, v2 := version("f", "(x + 1)"), version("f", "(x + 2)")
	apply(t, reg, plan(t, reg, t0, v1))
	apply(t, reg, plan(t, reg, t0.Add(time.Hour), v2))
	apply(t, reg, plan(t, reg, t0.Add(2*time.Hour), v1))
	head, _ := reg.FeatureHead(ctx, "f")
	if head.Current != v1.ID || head.Versions != 2 {
		t.Errorf("after revert head = %+v, want current v1 and 2 distinct versions", head)
	}
	hist, _ := reg.FeatureHistory(ctx, "f")
	if len(hist) != 3 || hist[0].Version != v1.ID {
		t.Errorf("history = %+v, want 3 entries, newest v1", hist)
	}
}

// testSources: a source name moves to a new version when its declaration
// changes and keeps its history; versions are never rewritten.
func testSources(t *testing.T, reg featurestore.Registry) {
	ctx := context.Background()
	apply(t, reg, plan(t, reg, t0, version("f", "(x + 1)")))
	first := featurestore.NewSourceVersion(testSource, testEntity, "/data")
	head, err := reg.SourceHead(ctx, "s")
	if err != nil || head.Current != first.ID || head.Versions != 1 {
		t.Fatalf("SourceHead = %+v, %v; want %s with 1 version", head, err, first.ID.Short())
	}
	moved := testSource
	moved.Path = "/data/s_v2.parquet"
	p := plan(t, reg, t0.Add(time.Hour), version("f", "(x + 1)"))
	p.Sources = []featurestore.SourceChange{sourceChange(reg, moved, t0.Add(time.Hour))}
	apply(t, reg, p)
	second := featurestore.NewSourceVersion(moved, testEntity, "/data")
	head, err = reg.SourceHead(ctx, "s")
	if err != nil || head.Current != second.ID || head.Versions != 2 || !head.Updated.Equal(t0.Add(time.Hour)) {
		t.Fatalf("SourceHead after a move = %+v, %v; want %s with 2 versions", head, err, second.ID.Short())
	}
	hist, err := reg.SourceHistory(ctx, "s")
	if err != nil || len(hist) != 2 || hist[0].Version != second.ID || hist[1].Version != first.ID {
		t.Fatalf("SourceHistory = %+v, %v; want the move then the first", hist, err)
	}
	got, err := reg.SourceVersion(ctx, first.ID)
	if err != nil || got.Location != "s.parquet" || got.Descriptor != first.Descriptor || !got.Created.Equal(t0) {
		t.Fatalf("SourceVersion(first) = %+v, %v", got, err)
	}
	srcs, err := reg.Sources(ctx)
	if err != nil || len(srcs) != 1 || srcs[0].Path != moved.Path {
		t.Errorf("Sources = %+v, %v; want the declaration as last registered", srcs, err)
	}
}
