package http

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/membudget"
)

// A tokens file that holds secrets is refused when others may read it; one
// that holds only their SHA-256 is not.
func TestTokensFileMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	secret := "tokens: [{name: a, role: read, token: 0123456789abcdef0123}]\n"
	hashed := "tokens: [{name: a, role: read, sha256: " + strings.Repeat("ab", 32) + "}]\n"
	if _, err := ReadTokens(write("open.yaml", secret, 0o644)); err == nil || !strings.Contains(err.Error(), "others may read it") {
		t.Errorf("a readable file of secrets: %v", err)
	}
	for name, c := range map[string]struct {
		body string
		mode os.FileMode
	}{"private.yaml": {secret, 0o600}, "hashed.yaml": {hashed, 0o644}} {
		if _, err := ReadTokens(write(name, c.body, c.mode)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for body, want := range map[string]string{
		"tokens: [{name: a, role: root, token: 0123456789abcdef0123}]\n": "a role of read, write or admin",
		"tokens: [{name: a, role: read, token: short}]\n":                "at least 16 characters",
		"tokens: []\n": "holds no tokens",
		"tokens: [{name: a, role: read, token: 0123456789abcdef0123}, {name: b, role: admin, token: 0123456789abcdef0123}]\n": "has the same secret as a",
		"tokens: [{name: a, role: read, token: 0123456789abcdef0123}, {name: a, role: admin, token: 0123456789abcdef9999}]\n": "are both named a",
	} {
		_, err := ReadTokens(write("bad.yaml", body, 0o600))
		if err == nil || !strings.Contains(err.Error(), want) || featurestore.ErrorHint(err) == "" {
			t.Errorf("%q: %v, want %q with a hint", body, err, want)
		}
	}
}

// A server keeps at most maxFinished finished jobs; running ones are never
// forgotten.
func TestFinishedJobsAreBounded(t *testing.T) {
	js := newJobs(Limits{Running: 2})
	block := make(chan struct{})
	running, _ := js.start("materialize", "a", "", func(ctx context.Context) (any, error) { <-block; return nil, nil })
	for range maxFinished + 50 {
		j, err := js.start("sync", "a", "", func(ctx context.Context) (any, error) { return nil, nil })
		if err != nil {
			t.Fatal(err)
		}
		<-j.done
		time.Sleep(time.Microsecond) // distinct finishing times
	}
	js.start("sync", "a", "", func(ctx context.Context) (any, error) { return nil, nil }) // gc runs at start
	if n := len(js.list("")); n > maxFinished+2 {
		t.Errorf("%d jobs kept", n)
	}
	if _, ok := js.get(context.Background(), running.ID, 0); !ok {
		t.Error("a running job was forgotten")
	}
	close(block)
}

// A job that panics (a bug) fails with an internal error; the server's
// process survives it.
func TestPanickingJobFails(t *testing.T) {
	js := newJobs(Limits{})
	j, _ := js.start("sync", "a", "", func(ctx context.Context) (any, error) { panic("boom") })
	<-j.done
	got, _ := js.get(context.Background(), j.ID, 0)
	if got.State != JobFailed || got.Error == nil || got.Error.Code != featurestore.EINTERNAL || !strings.Contains(got.Error.Message, "boom") {
		t.Errorf("%+v %+v", got, got.Error)
	}
}

// TestJobLimits: two run at once, two more wait (queued), one token may
// have three; past that EBUSY, and a finished job frees a place. Each job
// runs with its share of the memory.
func TestJobLimits(t *testing.T) {
	js := newJobs(Limits{Running: 2, Queued: 2, PerToken: 3, Memory: 4 << 30})
	block := make(chan struct{})
	var budgets sync.Map
	wait := func(ctx context.Context) (any, error) {
		budgets.Store(membudget.FromContext(ctx).Ceiling, true)
		<-block
		return nil, nil
	}
	var started []*Job
	for _, owner := range []string{"a", "a", "a", "b"} {
		j, err := js.start("validate", owner, "", wait)
		if err != nil {
			t.Fatalf("job %d of %s: %v", len(started), owner, err)
		}
		started = append(started, j)
	}
	if _, err := js.start("validate", "a", "", wait); featurestore.ErrorCode(err) != EBUSY || !strings.Contains(err.Error(), "as many as one token may") {
		t.Fatalf("a's fourth job: %v, want EBUSY for the token", err)
	}
	if _, err := js.start("validate", "c", "", wait); featurestore.ErrorCode(err) != EBUSY || !strings.Contains(err.Error(), "as many as it takes") {
		t.Fatalf("a fifth job: %v, want EBUSY for the server", err)
	}
	states := map[string]int{}
	for _, j := range started {
		got, _ := js.get(context.Background(), j.ID, 0)
		states[got.State]++
	}
	if states[JobRunning]+states[JobQueued] != 4 || states[JobQueued] < 2 {
		t.Fatalf("states %v, want 2 running (or starting) and 2 queued", states)
	}
	close(block)
	for _, j := range started {
		<-j.done
	}
	if _, err := js.start("validate", "c", "", func(ctx context.Context) (any, error) { return nil, nil }); err != nil {
		t.Fatalf("after the jobs finished: %v", err)
	}
	if _, ok := budgets.Load(int64(2 << 30)); !ok {
		t.Error("a job did not run with half of the 4 GiB")
	}
}

// A server that accepts a connection and never answers is an error, not a
// client that waits for ever.
func TestClientGivesUpOnAHangingServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	c := NewClient("http://"+ln.Addr().String(), "")
	if tr := c.HTTP.Transport.(*http.Transport); tr.ResponseHeaderTimeout != AnswerWithin {
		t.Fatalf("the client waits %v for an answer, want %v", tr.ResponseHeaderTimeout, AnswerWithin)
	}
	c.HTTP.Transport.(*http.Transport).ResponseHeaderTimeout = 200 * time.Millisecond
	start := time.Now()
	_, err = c.Features(context.Background())
	if featurestore.ErrorCode(err) != featurestore.ENOSTORE || !strings.Contains(err.Error(), "timeout") || time.Since(start) > 5*time.Second {
		t.Errorf("after %v: %v", time.Since(start), err)
	}
}

// TestClientBoundsAnswers: a server that streams a JSON answer for ever,
// one that trickles it, one that stops sending in the middle, and one that
// sends a job's output without its length: each is an error within the
// client's limits, never a client that waits or reads for ever.
// (httptest: no real fs server can be made to answer so.)
func TestClientBoundsAnswers(t *testing.T) {
	cases := map[string]struct {
		handler http.HandlerFunc
		want    string
	}{
		"streams for ever": {func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`[`))
			for r.Context().Err() == nil {
				if _, err := w.Write([]byte(`{"name": "x"},`)); err != nil {
					return
				}
			}
		}, "sent more than"},
		"trickles": {func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond)
			}
		}, "did not finish its answer"},
		"stops in the middle": {func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`[{"name": `))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, "sent nothing for"},
	}
	for name, c := range cases {
		srv := httptest.NewServer(c.handler)
		cl := NewClient(srv.URL, "")
		cl.Limits = AnswerLimits{JSON: 2 * time.Second, Idle: 300 * time.Millisecond, MaxJSON: 1 << 20}
		start := time.Now()
		_, err := cl.Features(context.Background())
		if err == nil || !strings.Contains(err.Error(), c.want) || time.Since(start) > 10*time.Second {
			t.Errorf("%s: after %v: %v, want %q", name, time.Since(start), err, c.want)
		}
		srv.CloseClientConnections()
		srv.Close()
	}
}

func TestClientRefusesAnOutputWithoutItsLength(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 100; i++ {
			w.Write([]byte("PAR1 more and more"))
			w.(http.Flusher).Flush() // chunked: no Content-Length
		}
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "out.parquet")
	f, err := createOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	err = NewClient(srv.URL, "").fetch(context.Background(), "job", f)
	if err == nil || !strings.Contains(err.Error(), "without its length") {
		t.Fatalf("fetch: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a partial output was put in place")
	}
}
