package http

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
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
	js := newJobs()
	block := make(chan struct{})
	running := js.start("materialize", "a", "", func(ctx context.Context) (any, error) { <-block; return nil, nil })
	for range maxFinished + 50 {
		j := js.start("sync", "a", "", func(ctx context.Context) (any, error) { return nil, nil })
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
	js := newJobs()
	j := js.start("sync", "a", "", func(ctx context.Context) (any, error) { panic("boom") })
	<-j.done
	got, _ := js.get(context.Background(), j.ID, 0)
	if got.State != JobFailed || got.Error == nil || got.Error.Code != featurestore.EINTERNAL || !strings.Contains(got.Error.Message, "boom") {
		t.Errorf("%+v %+v", got, got.Error)
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
