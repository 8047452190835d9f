package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/internal/redistest"
	"github.com/fs-dev/fs/transforms"
)

// post sends a JSON body to the server's API with a token and returns
// the status and body.
func post(t *testing.T, url, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServerServesOnline: a model's client reads online values over HTTP
// with a read token (not without one); the served requests, logged, replay
// through materialize without a difference, until a source changes.
func TestServerServesOnline(t *testing.T) {
	dir := demoStore(t)
	tokens := writeTokens(t, t.TempDir())
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--tokens", tokens, "--data-root", dir, "--log-requests", "--quiet")
	if code, _, stderr := client(t, dir, url, writeToken, "online", "sync", "--feature-set", "driver_ranking", "--as-of", "2021-04-12T10:00:00Z"); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	body := `{"feature_set": "driver_ranking", "entities": [{"driver_id": 1001}, {"driver_id": 1002}, {"driver_id": 42}]}`
	if code, _ := post(t, url, "/online", "", body); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	code, out := post(t, url, "/online", readToken, body)
	var res struct {
		Rows  []map[string]any    `json:"rows"`
		Nulls []map[string]string `json:"nulls"`
		AsOf  string              `json:"as_of"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 200 || len(res.Rows) != 3 || res.Rows[1]["driver_id"] != 1002.0 ||
		res.Nulls[2]["conv_rate"] != "no_row" || res.AsOf != "2021-04-12T10:00:00Z" {
		t.Fatalf("%d %s", code, out)
	}
	for _, c := range []struct{ body, says string }{
		{`{"feature_set": "driver_ranking", "entities": [{"driver_id": "1001"}]}`, `driver_id is \"1001\", not an integer`},
		{`{"feature_set": "driver_ranking", "entities": [{"driver_id": 1001.5}]}`, "not a whole number"},
		{`{"features": ["acc_rate"], "run": "x", "entities": [{"driver_id": 1}]}`, "a run or features, not both"},
		{`{"feature_set": "driver_ranking", "entities": [` + strings.Repeat(`{"driver_id": 1},`, 100_000) + `{"driver_id": 1}]}`, "100001 entities in one request: at most 10000"},
	} {
		if code, out := post(t, url, "/online", readToken, c.body); code != 400 || !strings.Contains(out, c.says) {
			t.Errorf("%.60s: %d %s", c.body, code, out)
		}
	}
	// A run's model predicts from the online values of the versions it
	// was trained on.
	_, out, _ = client(t, dir, url, readToken, "runs", "list", "--json")
	var runs []struct {
		ID    string `json:"id"`
		Model any    `json:"model"`
	}
	json.Unmarshal([]byte(out), &runs)
	run := ""
	for _, r := range runs {
		if r.Model != nil {
			run = r.ID
		}
	}
	if code, _, stderr := client(t, dir, url, writeToken, "online", "sync", "--run", run); code != 0 {
		t.Fatalf("sync a run's versions: %s", stderr)
	}
	code, stdout, stderr := client(t, dir, url, readToken, "predict", "--model", run, "--online", "--entity", "driver_id=1001", "--json")
	var pred struct {
		Columns []string         `json:"columns"`
		Rows    []map[string]any `json:"rows"`
	}
	json.Unmarshal([]byte(stdout), &pred)
	if code != 0 || len(pred.Rows) != 1 || pred.Columns[len(pred.Columns)-1] != "prediction" {
		t.Fatalf("predict --online: exit %d %s %s", code, stdout, stderr)
	}
	if _, ok := pred.Rows[0]["prediction"]; !ok {
		t.Fatalf("no prediction: %s", stdout)
	}
	code, stdout, stderr = client(t, dir, url, readToken, "online", "check", "--json")
	var check struct {
		Requests, Values int
		Differences      []any
	}
	json.Unmarshal([]byte(stdout), &check)
	served := 9 + len(pred.Columns) - 2 // the run's features beside driver_id and prediction
	if code != 0 || check.Requests != 2 || check.Values != served || len(check.Differences) != 0 {
		t.Fatalf("check: exit %d %s %s", code, stdout, stderr)
	}

	// The source changes under the online store: the check says so.
	stats := filepath.Join(dir, "driver_stats.parquet")
	tb := &featurestore.Table{Rows: 1}
	for _, c := range []struct {
		name string
		typ  transforms.Type
	}{{"datetime", transforms.Timestamp}, {"driver_id", transforms.Int64}, {"conv_rate", transforms.Float64}, {"created", transforms.Timestamp}} {
		tb.Series = append(tb.Series, featurestore.NewSeries(c.name, c.typ, 1))
	}
	tb.Series[0].I64[0] = time.Date(2021, 4, 12, 9, 0, 0, 0, time.UTC).UnixNano()
	tb.Series[1].I64[0], tb.Series[2].F64[0], tb.Series[3].I64[0] = 1001, 0.99, tb.Series[0].I64[0]
	var b bytes.Buffer
	if err := parquet.WriteLike(&b, stats, tb); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(stats+".new", b.Bytes(), 0o644)
	os.Rename(stats+".new", stats)
	code, stdout, stderr = client(t, dir, url, readToken, "online", "check")
	if code != 1 || !strings.Contains(stdout, fmt.Sprintf("2 requests, %d values replayed, ", served)) || !regexp.MustCompile(`(?m)^conv_rate +[0-9a-f]{12}  \{"driver_id":1001\}  2021-04-12T10:00:00Z +0\.\d+ +0\.99$`).MatchString(stdout) ||
		!strings.Contains(stderr, "values served differ from materialize") {
		t.Fatalf("check of a changed source: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestOnlineRedisUnreachable: a server whose Redis is down answers 503
// with a hint and keeps serving the rest; the CLI exits 10.
func TestOnlineRedisUnreachable(t *testing.T) {
	dir := demoStore(t)
	down := fmt.Sprintf("redis://127.0.0.1:%d/0", redistest.FreePort(t))
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--data-root", dir, "--online", down, "--quiet")
	code, out := post(t, url, "/online", "", `{"feature_set": "driver_ranking", "entities": [{"driver_id": 1001}]}`)
	if code != 503 || !strings.Contains(out, "cannot reach the online store") || !strings.Contains(out, "redis-server") {
		t.Fatalf("%d %s", code, out)
	}
	if code, _, stderr := client(t, dir, url, "", "features", "list"); code != 0 {
		t.Fatalf("the rest of the API: %s", stderr)
	}
	if code, _, stderr := client(t, dir, url, "", "online", "get", "--feature-set", "driver_ranking", "--entity", "driver_id=1001"); code != 10 ||
		!strings.Contains(stderr, "fs: hint: start redis-server there") {
		t.Fatalf("fs online get: exit %d, %s", code, stderr)
	}
}
