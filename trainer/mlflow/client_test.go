package mlflow

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/user"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These use httptest for what a real server cannot be made to do: a storm
// of 503s, a hanging answer, a garbage body. Everything else is tested
// against a real mlflow server (mlflow_test.go, tests/python).

func testClient(url string) *Client {
	return &Client{BaseURL: url, HTTP: &http.Client{Timeout: 300 * time.Millisecond}, Retries: 3, Backoff: time.Millisecond}
}

func TestRetriesA503StormThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 3 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"experiment": map[string]string{"experiment_id": "7"}})
	}))
	defer srv.Close()
	id, err := testClient(srv.URL).Experiment(context.Background(), "x")
	if err != nil || id != "7" {
		t.Fatalf("Experiment = %q, %v", id, err)
	}
	if calls.Load() != 4 {
		t.Errorf("%d calls, want 4 (3 retried 503s)", calls.Load())
	}
}

func TestGivesUpAfterRetriesAsUnreachable(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := testClient(srv.URL).Experiment(context.Background(), "x")
	if !Unreachable(err) {
		t.Fatalf("err = %v, want an unreachable error", err)
	}
	if calls.Load() != 4 {
		t.Errorf("%d calls, want 1 + 3 retries", calls.Load())
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var first time.Time
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if time.Since(first) < 900*time.Millisecond {
			t.Errorf("retried after %v, before Retry-After", time.Since(first))
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	if err := testClient(srv.URL).EndRun(context.Background(), "r", "FINISHED", time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestHangingAnswerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := testClient(srv.URL)
	c.Retries = 1
	start := time.Now()
	_, err := c.GetRun(context.Background(), "r")
	if !Unreachable(err) {
		t.Fatalf("err = %v, want unreachable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v: the timeout did not apply", d)
	}
}

func TestGarbageBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>a proxy error page</html>"))
	}))
	defer srv.Close()
	_, err := testClient(srv.URL).GetRun(context.Background(), "r")
	if err == nil || !strings.Contains(err.Error(), "is not the JSON expected") || !strings.Contains(err.Error(), "a proxy error page") {
		t.Fatalf("err = %v", err)
	}
	if Unreachable(err) {
		t.Error("a garbage body counted as unreachable")
	}
}

func TestErrorMessageReachesTheUser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error_code": "INVALID_PARAMETER_VALUE", "message": "Param value '0.1' had length 3"}`))
	}))
	defer srv.Close()
	err := testClient(srv.URL).EndRun(context.Background(), "r", "FINISHED", time.Now())
	var api *APIError
	if !errors.As(err, &api) || api.Code != "INVALID_PARAMETER_VALUE" || err.Error() != "MLflow: Param value '0.1' had length 3 (INVALID_PARAMETER_VALUE)" {
		t.Fatalf("err = %v", err)
	}
}

func TestLogBatchRespectsLimits(t *testing.T) {
	var batches []map[string][]json.RawMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string][]json.RawMessage
		json.NewDecoder(r.Body).Decode(&b)
		batches = append(batches, b)
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	var params, tags []Tag
	var metrics []Metric
	for i := 0; i < 250; i++ {
		params = append(params, Tag{Key: "p", Value: "v"})
		tags = append(tags, Tag{Key: "t", Value: "v"})
	}
	for i := 0; i < 1500; i++ {
		metrics = append(metrics, Metric{Key: "m", Value: 1})
	}
	if err := testClient(srv.URL).LogBatch(context.Background(), "r", params, metrics, tags); err != nil {
		t.Fatal(err)
	}
	var np, nm, nt int
	for _, b := range batches {
		p, m, tg := len(b["params"]), len(b["metrics"]), len(b["tags"])
		if p > 100 || tg > 100 || m > 1000 || p+m+tg > 1000 {
			t.Errorf("a batch of %d params, %d metrics, %d tags exceeds MLflow's limits", p, m, tg)
		}
		np, nm, nt = np+p, nm+m, nt+tg
	}
	if np != 250 || nm != 1500 || nt != 250 {
		t.Errorf("sent %d params, %d metrics, %d tags", np, nm, nt)
	}
	if len(batches) != 3 {
		t.Errorf("%d requests, want 3 (the fewest the limits allow)", len(batches))
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{"MLFLOW_TRACKING_URI": "http://h:5000/", "MLFLOW_TRACKING_TOKEN": "tok",
		"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.5"}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || c.BaseURL != "http://h:5000" || c.Token != "tok" || c.Retries != 2 || c.Backoff != 500*time.Millisecond {
		t.Fatalf("FromEnv = %+v, %v", c, err)
	}
	if c, _ := FromEnv(func(string) string { return "" }); c != nil {
		t.Error("a client without MLFLOW_TRACKING_URI")
	}
	if _, err := FromEnv(func(k string) string { return map[string]string{"MLFLOW_TRACKING_URI": "sqlite:///x.db"}[k] }); err == nil {
		t.Error("a sqlite tracking URI accepted for REST")
	}
}

func TestAuthHeaders(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := testClient(srv.URL)
	c.Token = "abc"
	c.EndRun(context.Background(), "r", "FINISHED", time.Now())
	c.Token, c.User, c.Password = "", "ana", "pw"
	c.EndRun(context.Background(), "r", "FINISHED", time.Now())
	if got[0] != "Bearer abc" || got[1] != "Basic YW5hOnB3" {
		t.Errorf("Authorization headers %q", got)
	}
}

// mlflow.user is the OS user's login name, as MLflow's own client sets it,
// also when no environment variable names it (cron, CI, containers).
func TestUserNameFallsBackToTheOSUser(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Skipf("no OS user: %v", err)
	}
	if got := UserName(func(string) string { return "" }); got != u.Username {
		t.Errorf("UserName without USER = %q, want %q", got, u.Username)
	}
	if got := UserName(func(k string) string { return map[string]string{"USER": "ada"}[k] }); got != "ada" {
		t.Errorf("UserName with USER=ada = %q", got)
	}
}
