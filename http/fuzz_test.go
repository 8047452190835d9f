package http

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/demo"
)

// FuzzRequests sends arbitrary requests to the server's handler (the real
// one, over a real store holding the demo's registry): whatever the path,
// query and body, the answer is never a 5xx (a bug) and the server keeps
// answering. Job routes are left out: each would start real work.
func FuzzRequests(f *testing.F) {
	dir := f.TempDir()
	if err := demo.Write(dir, demo.DefaultOptions()); err != nil {
		f.Fatal(err)
	}
	store := filepath.Join(dir, ".fs")
	badger.Init(store)
	shared, err := app.OpenShared(store)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { shared.Close() })
	roots, _ := app.NewRoots([]string{dir})
	svc := &app.Service{Store: shared, Roots: roots}
	defs, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	if _, err := svc.Register(f.Context(), app.RegisterRequest{File: "features.yaml", Dir: dir, Content: string(defs)}); err != nil {
		f.Fatal(err)
	}
	srv, err := NewServer(svc, nil, Options{OutDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ method, target, body string }{
		{"GET", "/api/v1/features/conv_rate", ""}, {"GET", "/api/v1/diff?a=conv_rate@30&b=acc_rate", ""},
		{"GET", "/api/v1/lineage?id=conv_rate&direction=downstream&depth=3", ""}, {"GET", "/api/v1/impact?id=snapshot:x", ""},
		{"GET", "/api/v1/lineage.svg?id=conv_rate", ""}, {"GET", "/api/v1/compare?run=ab&run=cd", ""},
		{"POST", "/api/v1/register", `{"file": "f.yaml", "dir": "` + dir + `", "content": "features: [{name: x, source: y, expr: 'a +'}]", "dry_run": true}`},
		{"GET", "/features?q=%00", ""}, {"GET", "/lineage?id=feature:zz&depth=99999", ""}, {"GET", "/node?id=model:a/b", ""},
		{"GET", "/diff?a=&b=", ""}, {"GET", "/profiles?id=dataset:00", ""}, {"GET", "/api/v1/jobs/..%2f..", ""},
	} {
		f.Add(seed.method, seed.target, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, target, body string) {
		if method != "GET" && method != "POST" && method != "DELETE" {
			method = "GET"
		}
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t") {
			return
		}
		for _, job := range []string{"/materialize", "/train", "/predict", "/sync", "/reproduce", "/profile", "/validate"} {
			if method == "POST" && strings.Contains(target, job) {
				return
			}
		}
		req, err := http.NewRequest(method, "http://fs"+target, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, target, body, rec.Code, rec.Body.String())
		}
	})
}
