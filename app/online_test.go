package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/internal/redistest"
	"github.com/fs-dev/fs/transforms"
)

// onlineDefs are features of every kind materialize has: latest values
// with and without a TTL, an expression, a string, and aggregations over
// windows (with a filter).
const onlineDefs = `entities:
  - name: driver
    join_keys: [driver_id]
sources:
  - name: events
    path: events/
    entity: driver
    timestamp_field: ts
    created_timestamp_field: created
features:
  - name: last_fare
    source: events
    expr: fare
  - name: fare_ttl
    source: events
    expr: fare * 2.0
    ttl: 36h
  - name: city
    source: events
    expr: city
  - name: rides_2d
    source: events
    aggregate: count
    window: 2d
  - name: fare_mean_3d
    source: events
    expr: fare
    aggregate: mean
    window: 3d
  - name: dear_1d
    source: events
    aggregate: count
    window: 1d
    where: fare > 20
`

var onlineFeatures = []string{"last_fare", "fare_ttl", "city", "rides_2d", "fare_mean_3d", "dear_1d"}

// t0 is the start of the random events.
var t0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// writeEvents writes n random events of keys 1..keys as a parquet file:
// times in 10 days to the second (ties on a key are common), rows
// created up to 2 days late, null fares, a few cities.
func writeEvents(t testing.TB, rng *rand.Rand, path string, n, keys int) {
	t.Helper()
	tb := &featurestore.Table{Rows: n}
	id := featurestore.NewSeries("driver_id", transforms.Int64, n)
	ts := featurestore.NewSeries("ts", transforms.Timestamp, n)
	created := featurestore.NewSeries("created", transforms.Timestamp, n)
	fare := featurestore.NewSeries("fare", transforms.Float64, n)
	city := featurestore.NewSeries("city", transforms.String, n)
	cities := []string{"paris", "nice", "lyon"}
	for i := range n {
		id.I64[i] = int64(1 + rng.IntN(keys))
		at := t0.Add(time.Duration(rng.IntN(10*24*3600/600)) * 600 * time.Second)
		ts.I64[i] = at.UnixNano()
		created.I64[i] = at.Add(time.Duration(rng.IntN(48*3600)) * time.Second).UnixNano()
		fare.F64[i] = math.Round(rng.Float64()*4000) / 100
		if rng.IntN(8) == 0 {
			fare.SetNull(i, n)
		}
		city.Str[i] = cities[rng.IntN(len(cities))]
	}
	tb.Series = []*featurestore.Series{id, ts, created, fare, city}
	writeTable(t, path, tb)
}

func writeTable(t testing.TB, path string, tb *featurestore.Table) {
	t.Helper()
	var b bytes.Buffer
	if err := parquet.WriteTable(&b, tb, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// onlineProject is a store with onlineDefs registered over two files of
// random events.
func onlineProject(t testing.TB, rng *rand.Rand) (string, *app.Service) {
	t.Helper()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "events"), 0o755)
	writeEvents(t, rng, filepath.Join(dir, "events", "a.parquet"), 600, 40)
	writeEvents(t, rng, filepath.Join(dir, "events", "b.parquet"), 400, 50)
	store := filepath.Join(dir, ".fs")
	if _, err := badger.Init(store); err != nil {
		t.Fatal(err)
	}
	svc := &app.Service{Store: app.Dir(store)}
	if _, err := svc.Register(context.Background(), app.RegisterRequest{File: "features.yaml", Dir: dir, Content: onlineDefs}); err != nil {
		t.Fatal(err)
	}
	return dir, svc
}

// offline materializes the features for entity rows (key, at) and returns
// each row's values as online get gives them (nil for a null).
func offline(t *testing.T, svc *app.Service, dir string, keys []int64, at time.Time) [][]any {
	t.Helper()
	return offlineOf(t, svc, dir, onlineFeatures, keys, at)
}

func offlineOf(t *testing.T, svc *app.Service, dir string, features []string, keys []int64, at time.Time) [][]any {
	t.Helper()
	ents := filepath.Join(dir, fmt.Sprintf("ents-%d.csv", at.UnixNano()))
	var b strings.Builder
	b.WriteString("driver_id,event_timestamp\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%d,%s\n", k, at.Format(time.RFC3339Nano))
	}
	os.WriteFile(ents, []byte(b.String()), 0o644)
	out := filepath.Join(dir, fmt.Sprintf("off-%d.parquet", at.UnixNano()))
	_, err := svc.Materialize(context.Background(), app.MaterializeRequest{Features: features, Entities: ents, Out: out,
		AsOf: app.Time{Time: at}})
	if err != nil {
		t.Fatal(err)
	}
	tb, _, err := parquet.ReadTable(context.Background(), []string{out}, features)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, tb.Rows)
	for r := range rows {
		for _, f := range features {
			c := tb.Lookup(f)
			v := c.Value(r)
			if c.Type == transforms.Int64 && v != nil {
				v = c.I64[r]
			}
			rows[r] = append(rows[r], v)
		}
	}
	return rows
}

// online reads the features for the keys and returns each row's values.
func onlineRows(t *testing.T, svc *app.Service, keys []int64) ([][]any, *app.OnlineResult) {
	t.Helper()
	return onlineRowsOf(t, svc, onlineFeatures, keys)
}

func onlineRowsOf(t *testing.T, svc *app.Service, features []string, keys []int64) ([][]any, *app.OnlineResult) {
	t.Helper()
	req := app.OnlineRequest{Features: features}
	for _, k := range keys {
		req.Entities = append(req.Entities, app.Entity{"driver_id": json.Number(fmt.Sprint(k))})
	}
	res, err := svc.OnlineGet(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, len(keys))
	for r := range rows {
		for _, f := range features {
			rows[r] = append(rows[r], res.Rows[r][f])
		}
	}
	return rows, res
}

// sameBits compares values bit for bit (floats by their bits).
func sameBits(a, b any) bool {
	fa, okA := a.(float64)
	fb, okB := b.(float64)
	if okA && okB {
		return math.Float64bits(fa) == math.Float64bits(fb)
	}
	return a == b
}

func checkParity(t *testing.T, how string, keys []int64, got, want [][]any) {
	t.Helper()
	bad := 0
	for r := range keys {
		for j, f := range onlineFeatures {
			if !sameBits(got[r][j], want[r][j]) {
				if bad++; bad <= 5 {
					t.Errorf("%s: driver %d %s: online %v, materialize %v", how, keys[r], f, got[r][j], want[r][j])
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d values differ", how, bad)
	}
}

// TestOnlineIsMaterialize: for random events with ties, late rows, null
// values, TTLs and windows, what online get returns after a sync as of T
// is what materialize gives for entity rows (key, T), bit for bit: at
// several times, after files are added (an incremental sync, which must
// equal a full one) and after pushes (as of the push).
func TestOnlineIsMaterialize(t *testing.T) {
	t.Run("badger", func(t *testing.T) { onlineIsMaterialize(t, "") })
	t.Run("redis", func(t *testing.T) { onlineIsMaterialize(t, redistest.Start(t)) })
}

func onlineIsMaterialize(t *testing.T, url string) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	dir, svc := onlineProject(t, rng)
	if url != "" {
		svc.OnlineStore = app.OnlineAt(url)
	}
	keys := []int64{}
	for k := int64(1); k <= 55; k++ { // 51..55: in no source
		keys = append(keys, k)
	}
	for _, T := range []time.Time{t0.Add(3 * 24 * time.Hour), t0.Add(5*24*time.Hour + 17*time.Minute), t0.Add(12 * 24 * time.Hour)} {
		res, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: onlineFeatures, AsOf: app.Time{Time: T}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Features[0].Status != app.SyncFull || res.Features[0].Keys != 50 {
			t.Fatalf("sync at %s: %+v", T, res.Features[0])
		}
		got, _ := onlineRows(t, svc, keys)
		checkParity(t, "sync at "+T.String(), keys, got, offline(t, svc, dir, keys, T))
	}
	T := t0.Add(12 * 24 * time.Hour)

	// A file added: the sync at the same time computes its keys alone,
	// and gives what a full sync gives.
	writeEvents(t, rng, filepath.Join(dir, "events", "c.parquet"), 50, 60)
	res, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: onlineFeatures, AsOf: app.Time{Time: T}})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Features[0]; f.Status != app.SyncAdded || f.Updated >= 50 || f.Keys <= 50 {
		t.Fatalf("incremental sync: %+v", f)
	}
	keys = append(keys, 56, 57, 58, 59, 60)
	inc, _ := onlineRows(t, svc, keys)
	checkParity(t, "incremental", keys, inc, offline(t, svc, dir, keys, T))
	if _, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: onlineFeatures, AsOf: app.Time{Time: T}, Full: true}); err != nil {
		t.Fatal(err)
	}
	full, _ := onlineRows(t, svc, keys)
	checkParity(t, "full after incremental", keys, inc, full)
	again, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: onlineFeatures, AsOf: app.Time{Time: T}})
	if err != nil || again.Features[0].Status != app.SyncUnchanged {
		t.Fatalf("a sync with nothing new: %+v, %v", again, err)
	}

	// A push: the pushed keys' values are computed as of the push, the
	// others stay as of T.
	push := filepath.Join(dir, "push.csv")
	now := time.Now().UTC()
	os.WriteFile(push, []byte(fmt.Sprintf("driver_id,ts,created,fare,city\n3,%s,%s,99.5,nice\n70,%s,%s,,lyon\n",
		now.Add(-time.Hour).Format(time.RFC3339), now.Add(-time.Hour).Format(time.RFC3339),
		now.Add(-2*time.Hour).Format(time.RFC3339), now.Add(-2*time.Hour).Format(time.RFC3339))), 0o644)
	pr, err := svc.Push(ctx, app.PushRequest{Source: "events", Input: push})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Rows != 2 || pr.Keys != 2 || len(pr.Features) != len(onlineFeatures) {
		t.Fatalf("push: %+v", pr)
	}
	pushed := []int64{3, 70}
	got, _ := onlineRows(t, svc, pushed)
	checkParity(t, "push", pushed, got, offline(t, svc, dir, pushed, pr.AsOf))
	if got[0][0] != 99.5 || got[1][1] != nil {
		t.Fatalf("pushed values: %v", got)
	}
	others := []int64{4, 5}
	got, _ = onlineRows(t, svc, others)
	checkParity(t, "not pushed", others, got, offline(t, svc, dir, others, T))
}

// TestOnlineNulls: each null says why, as materialize counts it.
func TestOnlineNulls(t *testing.T) {
	ctx := context.Background()
	_, svc := onlineProject(t, rand.New(rand.NewPCG(1, 2)))
	T := t0.Add(30 * 24 * time.Hour) // every event older than the TTL and the windows
	if _, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: onlineFeatures, AsOf: app.Time{Time: T}}); err != nil {
		t.Fatal(err)
	}
	_, res := onlineRows(t, svc, []int64{1, 99})
	if res.Nulls[0]["fare_ttl"] != "outside_ttl" || res.Nulls[1]["last_fare"] != "no_row" || res.Rows[0]["rides_2d"] != int64(0) {
		t.Fatalf("nulls: %v, rows %v", res.Nulls, res.Rows)
	}
	if _, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: onlineFeatures, AsOf: app.Time{Time: t0.Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	_, res = onlineRows(t, svc, []int64{1})
	if res.Nulls[0]["last_fare"] != "no_row" {
		t.Fatalf("before every event: %v", res.Nulls)
	}
}

// TestOnlineRefusals: what a request cannot be is refused, naming it.
func TestOnlineRefusals(t *testing.T) {
	ctx := context.Background()
	dir, svc := onlineProject(t, rand.New(rand.NewPCG(3, 4)))
	get := func(req app.OnlineRequest) error { _, err := svc.OnlineGet(ctx, req); return err }
	one := []app.Entity{{"driver_id": json.Number("1")}}
	if err := get(app.OnlineRequest{Features: []string{"last_fare"}, Entities: one}); featurestore.ErrorCode(err) != featurestore.ENOTFOUND ||
		!strings.Contains(err.Error(), "no online values") {
		t.Fatalf("never synced: %v", err)
	}
	if _, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: []string{"last_fare", "city"}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		req  app.OnlineRequest
		code string
		says string
	}{
		{app.OnlineRequest{Features: []string{"nope"}, Entities: one}, featurestore.ENOTFOUND, "nope"},
		{app.OnlineRequest{Features: []string{"last_fare@0123456789ab"}, Entities: one}, featurestore.ENOTFOUND, "0123456789ab"},
		{app.OnlineRequest{Features: []string{"last_fare"}}, featurestore.EUSAGE, "no entities"},
		{app.OnlineRequest{Entities: one}, featurestore.EUSAGE, "no features"},
		{app.OnlineRequest{Features: []string{"last_fare"}, Entities: []app.Entity{{"driver_id": "1"}}}, featurestore.EINVALID, "driver_id is \"1\", not an integer"},
		{app.OnlineRequest{Features: []string{"last_fare"}, Entities: []app.Entity{{"driver_id": json.Number("1.5")}}}, featurestore.EINVALID, "not a whole number"},
		{app.OnlineRequest{Features: []string{"last_fare"}, Entities: []app.Entity{{"driver": json.Number("1")}}}, featurestore.EINVALID, "entity 1: no driver_id"},
		{app.OnlineRequest{Features: []string{"last_fare"}, Entities: make([]app.Entity, 100_000)}, featurestore.EINVALID, "100000 entities in one request: at most 10000"},
		{app.OnlineRequest{Run: "ffff", Entities: one}, featurestore.ENOTFOUND, "ffff"},
	}
	for _, c := range cases {
		err := get(c.req)
		if featurestore.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: got %v (%s), want %s saying %q", c.req.Features, err, featurestore.ErrorCode(err), c.code, c.says)
		}
	}

	// A push of the wrong schema is refused and appends nothing.
	before, _ := filepath.Glob(filepath.Join(dir, "events", "*"))
	bad := filepath.Join(dir, "bad.csv")
	for content, says := range map[string]string{
		"driver_id,ts,created,fare,city,extra\n1,2024-03-01T00:00:00Z,2024-03-01T00:00:00Z,1,x,2\n": "column extra",
		"driver_id,ts,created,fare,city\n1,2024-03-01T00:00:00Z,2024-03-01T00:00:00Z,cheap,x\n":     "bad.csv:2: column fare: \"cheap\" is not a number",
		"driver_id,created,fare\n1,2024-03-01T00:00:00Z,1\n":                                        "timestamp column \"ts\"",
		"driver_id,ts,created,fare,city\nx1,2024-03-01T00:00:00Z,2024-03-01T00:00:00Z,1,x\n":        "driver_id",
	} {
		os.WriteFile(bad, []byte(content), 0o644)
		_, err := svc.Push(ctx, app.PushRequest{Source: "events", Input: bad})
		if featurestore.ErrorCode(err) != featurestore.EINVALID || !strings.Contains(err.Error(), says) {
			t.Errorf("push %q: %v, want one saying %q", content, err, says)
		}
	}
	if _, err := svc.Push(ctx, app.PushRequest{Source: "nope", Input: bad}); featurestore.ErrorCode(err) != featurestore.ENOTFOUND {
		t.Errorf("push to no source: %v", err)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "events", "*"))
	if !slices.Equal(before, after) {
		t.Fatalf("a refused push left files: %v", after)
	}
}

// TestOnlineLargeChanges: a push of more values than one update carries
// is applied in parts, and a file of as many new keys is synced as a new
// generation; both give materialize's values.
func TestOnlineLargeChanges(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 9))
	dir, svc := onlineProject(t, rng)
	T := t0.Add(6 * 24 * time.Hour)
	if _, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: onlineFeatures, AsOf: app.Time{Time: T}}); err != nil {
		t.Fatal(err)
	}
	const n = 25_000 // x 6 features: past online.MaxUpdate
	big := filepath.Join(dir, "big.parquet")
	writeEvents(t, rng, big, n, n)
	pr, err := svc.Push(ctx, app.PushRequest{Source: "events", Input: big})
	if err != nil {
		t.Fatal(err)
	}
	sample := []int64{1, 77, 12_345, 24_999}
	got, _ := onlineRows(t, svc, sample)
	checkParity(t, "large push", sample, got, offline(t, svc, dir, sample, pr.AsOf))

	writeEvents(t, rng, filepath.Join(dir, "events", "z.parquet"), n, n)
	res, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: onlineFeatures, AsOf: app.Time{Time: T}})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Features[0]; f.Status != app.SyncFull {
		t.Fatalf("a large addition: %+v, want a full sync", f)
	}
	got, _ = onlineRows(t, svc, sample)
	checkParity(t, "large addition", sample, got, offline(t, svc, dir, sample, T))
}

// TestOnlineSteadyFeatures: features without TTL or window, synced at a
// later time with no row after the last sync, compute only the keys of
// the files added, and still give materialize's values; a row after the
// sync's time (a late or future row) makes the next sync compute every
// key.
func TestOnlineSteadyFeatures(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(4, 2))
	dir, svc := onlineProject(t, rng)
	steady := []string{"last_fare", "city"}
	keys := []int64{1, 2, 3, 17, 33, 49, 58, 61}
	sync := func(at time.Time) app.OnlineFeatureSync {
		t.Helper()
		res, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: steady, AsOf: app.Time{Time: at}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Features[0]
	}
	check := func(how string, at time.Time) {
		t.Helper()
		got, _ := onlineRowsOf(t, svc, steady, keys)
		want := offlineOf(t, svc, dir, steady, keys, at)
		for r := range keys {
			for j := range steady {
				if !sameBits(got[r][j], want[r][j]) {
					t.Fatalf("%s: driver %d %s: online %v, materialize %v", how, keys[r], steady[j], got[r][j], want[r][j])
				}
			}
		}
	}
	T1 := t0.Add(12 * 24 * time.Hour) // after every row and its creation
	if f := sync(T1); f.Status != app.SyncFull {
		t.Fatalf("first sync: %+v", f)
	}
	check("T1", T1)
	late := func(name string, from time.Time) {
		tb := &featurestore.Table{Rows: 20}
		id := featurestore.NewSeries("driver_id", transforms.Int64, 20)
		ts := featurestore.NewSeries("ts", transforms.Timestamp, 20)
		cr := featurestore.NewSeries("created", transforms.Timestamp, 20)
		fare := featurestore.NewSeries("fare", transforms.Float64, 20)
		city := featurestore.NewSeries("city", transforms.String, 20)
		for i := range 20 {
			id.I64[i] = int64(55 + i%10)
			ts.I64[i] = from.Add(time.Duration(i) * time.Hour).UnixNano()
			cr.I64[i], fare.F64[i], city.Str[i] = ts.I64[i], float64(i), "late"
		}
		tb.Series = []*featurestore.Series{id, ts, cr, fare, city}
		writeTable(t, filepath.Join(dir, "events", name), tb)
	}
	late("c.parquet", T1.Add(time.Hour))
	T2 := T1.Add(2 * 24 * time.Hour)
	if f := sync(T2); f.Status != app.SyncAdded || f.Updated != 10 {
		t.Fatalf("a later sync with a file added: %+v", f)
	}
	check("T2, incremental", T2)
	T3 := T2.Add(time.Hour)
	if f := sync(T3); f.Status != app.SyncAdded || f.Updated != 0 {
		t.Fatalf("a later sync, nothing added: %+v", f)
	}
	check("T3", T3)
	late("d.parquet", T3.Add(48*time.Hour)) // rows after T4: the sync at T4 cannot know they are not yet due
	T4 := T3.Add(time.Hour)
	if f := sync(T4); f.Status != app.SyncAdded {
		t.Fatalf("rows after the sync time, added: %+v", f)
	}
	check("T4", T4)
	T5 := T4.Add(72 * time.Hour)
	if f := sync(T5); f.Status != app.SyncFull {
		t.Fatalf("a later sync after rows past the last sync time: %+v, want every key", f)
	}
	check("T5", T5)
	if res, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: []string{"last_fare", "fare_ttl"}, AsOf: app.Time{Time: T5.Add(time.Hour)}}); err != nil ||
		res.Features[0].Status != app.SyncFull {
		t.Fatalf("a TTL among the features: %+v %v", res, err)
	}
}
