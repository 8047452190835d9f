package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// raw sends a request to a server as any program could (the CLI cleans
// paths; an attacker does not) and returns the status and body.
func raw(t *testing.T, method, url, token, contentType, body string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), resp.Header
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// listing is what fs shows of a store, to check that nothing changed.
func listing(t *testing.T, dir, url, token string) string {
	t.Helper()
	var all []string
	for _, args := range [][]string{{"features", "list", "--json"}, {"datasets", "list", "--json"}, {"runs", "list", "--json"}} {
		_, out, errs := client(t, dir, url, token, args...)
		all = append(all, out, errs)
	}
	return strings.Join(all, "\n")
}

// TestModelDirNeverDeletes (issue 27, 1): fs train --model-dir refuses,
// before fitting and recording anything, a directory fs did not write, a
// file, the store and anything in it; locally and through a server.
func TestModelDirNeverDeletes(t *testing.T) {
	dir := demoStore(t)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("my notes"), 0o644)
	os.WriteFile(filepath.Join(dir, "a_file"), []byte("x"), 0o644)
	train := []string{"train", "--dataset", "train.parquet", "--target", "trip_completed", "--drop-nulls", "--alpha", "0.3"}
	before := listing(t, dir, "", "")
	for _, c := range []struct{ dir, want string }{
		{".", "exists and holds other files than a model fs wrote"},
		{dir, "exists and holds other files than a model fs wrote"},
		{".fs", "exists and holds other files than a model fs wrote"},
		{".fs/models/new", "would hold or lie inside the store"},
		{"a_file", "is a file"},
	} {
		code, _, stderr := client(t, dir, "", "", append(train, "--model-dir", c.dir)...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("--model-dir %s: exit %d, %q; want %q", c.dir, code, stderr, c.want)
		}
	}
	if notes, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(notes) != "my notes" {
		t.Fatal("the project's files were touched")
	}
	if after := listing(t, dir, "", ""); after != before {
		t.Fatalf("a refused train recorded something:\n%s\n%s", before, after)
	}
	for range 2 { // a new directory, then the model fs wrote there, replaced
		if code, _, stderr := client(t, dir, "", "", append(train, "--model-dir", "model")...); code != 0 {
			t.Fatalf("--model-dir model: %s", stderr)
		}
	}

	tokens := writeTokens(t, t.TempDir())
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--tokens", tokens, "--data-root", dir)
	for _, md := range []string{filepath.Join(dir, ".fs"), dir} {
		code, _, stderr := client(t, dir, url, writeToken, append(train, "--model-dir", md)...)
		if code != 1 || stderr == "" {
			t.Errorf("through the server, --model-dir %s: exit %d %q", md, code, stderr)
		}
	}
	if code, _, stderr := client(t, dir, url, readToken, "features", "list"); code != 0 {
		t.Fatalf("the server lost its store: %s", stderr)
	}
}

// TestServerOpensOnlyLocalPathsUnderItsRoots (issue 27, 2, 4, 5, 11):
// URI-looking paths, .. elements, links out of the roots through a
// source's directory, the server's own files: refused, and the answer for
// a path outside the roots does not say whether it exists.
func TestServerOpensOnlyLocalPathsUnderItsRoots(t *testing.T) {
	dir := demoStore(t)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.tsv"), []byte("event_timestamp\tdriver_id\n2021-04-12\t1001\n"), 0o644)
	data, _ := os.ReadFile(filepath.Join(dir, "driver_stats.parquet"))
	os.WriteFile(filepath.Join(outside, "secret.parquet"), data, 0o644)
	os.MkdirAll(filepath.Join(dir, "s3a:", "x"), 0o755)
	os.MkdirAll(filepath.Join(dir, "linked"), 0o755)
	os.Symlink(filepath.Join(outside, "secret.parquet"), filepath.Join(dir, "linked", "part-0.parquet"))
	secrets := t.TempDir()
	tokens := writeTokens(t, secrets)
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--tokens", tokens, "--data-root", dir)
	api := url + "/api/v1"
	before := listing(t, dir, url, readToken)

	rel, _ := filepath.Rel(dir, outside)
	escape := "s3a:/x/../../" + rel + "/secret.tsv"
	for _, c := range []struct {
		name, path, token, body string
		status                  int
		want                    string
	}{
		{"entities through an s3a: directory", "/materialize", writeToken, jsonBody(map[string]any{
			"features": []string{"conv_rate"}, "entities": dir + "/" + escape, "out": filepath.Join(dir, "o.parquet")}), 403, "has a .. element"},
		{"a relative URI-looking entity file", "/materialize", writeToken, jsonBody(map[string]any{
			"features": []string{"conv_rate"}, "entities": escape, "out": filepath.Join(dir, "o.parquet")}), 403, "is a URI"},
		{"validate with a read token", "/validate", readToken, jsonBody(map[string]any{
			"target": "s3a:/x/../../" + rel + "/secret.parquet", "expectations": "columns: {}"}), 403, "is a URI"},
		{"hdfs URI as a dataset", "/train", writeToken, jsonBody(map[string]any{
			"dataset": "hdfs:///" + filepath.Join(outside, "secret.parquet"), "request": map[string]any{"target": "conv_rate"}}), 403, "is a URI"},
		{"materialize onto the tokens file", "/materialize", writeToken, jsonBody(map[string]any{
			"features": []string{"conv_rate"}, "entities": filepath.Join(dir, "orders.tsv"), "out": tokens, "server_side_out": true}), 403, "outside the server's data roots"},
		{"materialize into the store", "/materialize", writeToken, jsonBody(map[string]any{
			"features": []string{"conv_rate"}, "entities": filepath.Join(dir, "orders.tsv"), "out": filepath.Join(dir, ".fs", "x.parquet"), "server_side_out": true}), 403, "is the store or inside it"},
		{"profile the store's files", "/profile", writeToken, jsonBody(map[string]any{"target": filepath.Join(dir, ".fs")}), 403, "is the store or inside it"},
	} {
		code, out, _ := raw(t, "POST", api+c.path, c.token, "application/json", c.body)
		if code == 202 {
			var j struct{ ID string }
			json.Unmarshal([]byte(out), &j)
			_, out, _ = raw(t, "GET", api+"/jobs/"+j.ID+"?wait=20", c.token, "", "")
			code = 200
			if strings.Contains(out, `"code": "forbidden"`) {
				code = 403
			}
		}
		if code != c.status || !strings.Contains(out, c.want) {
			t.Errorf("%s: %d %s; want %d with %q", c.name, code, out, c.status, c.want)
		}
	}

	// A source directory inside the root holding a link to a file outside:
	// refused at register (and so never materialized).
	defs := "entities: [{name: driver, join_keys: [driver_id]}]\nsources: [{name: linked, path: linked, entity: driver, timestamp_field: datetime}]\nfeatures: [{name: leaked, source: linked, expr: conv_rate}]\n"
	code, out, _ := raw(t, "POST", api+"/register", writeToken, "application/json",
		jsonBody(map[string]any{"file": "linked.yaml", "dir": dir, "content": defs}))
	if code != 400 || !strings.Contains(out, "linked/part-0.parquet is outside the server's data roots") {
		t.Errorf("a source directory linking outside: %d %s", code, out)
	}

	if after := listing(t, dir, url, readToken); after != before {
		t.Errorf("a refused request changed the store")
	}

	// A source directory whose link appears after registration: refused at
	// materialize, before anything is read.
	os.MkdirAll(filepath.Join(dir, "later"), 0o755)
	os.WriteFile(filepath.Join(dir, "later", "part-0.parquet"), data, 0o644)
	later := strings.ReplaceAll(strings.ReplaceAll(defs, "linked", "later"), "leaked", "later_rate")
	if code, out, _ := raw(t, "POST", api+"/register", writeToken, "application/json",
		jsonBody(map[string]any{"file": "later.yaml", "dir": dir, "content": later})); code != 200 {
		t.Fatalf("register later: %d %s", code, out)
	}
	os.Symlink(filepath.Join(outside, "secret.parquet"), filepath.Join(dir, "later", "part-1.parquet"))
	code, out = materializeJob(t, api, writeToken, map[string]any{"features": []string{"later_rate"},
		"entities": filepath.Join(dir, "orders.tsv"), "out": filepath.Join(dir, "later.parquet")})
	if code != 403 || !strings.Contains(out, "later/part-1.parquet is outside the server's data roots") {
		t.Errorf("materialize over a link added later: %d %s", code, out)
	}

	// The same answer for a file outside the roots that exists and one that
	// does not: no existence oracle.
	answer := func(p string) string {
		_, out, _ := raw(t, "POST", api+"/validate", readToken, "application/json", jsonBody(map[string]any{"target": p, "expectations": "columns: {}"}))
		var j struct{ ID string }
		json.Unmarshal([]byte(out), &j)
		_, out, _ = raw(t, "GET", api+"/jobs/"+j.ID+"?wait=20", readToken, "", "")
		var res struct {
			Error struct{ Message, Hint string }
		}
		json.Unmarshal([]byte(out), &res)
		return strings.ReplaceAll(res.Error.Message, p, "PATH") + " / " + res.Error.Hint
	}
	exists, missing := answer(filepath.Join(outside, "secret.parquet")), answer(filepath.Join(outside, "nothing.parquet"))
	if exists != missing || !strings.Contains(exists, "outside the server's data roots") {
		t.Errorf("the answers differ: %q vs %q", exists, missing)
	}
}

// materializeJob starts a materialize job and waits for it: 200 and the
// job when it succeeded, else the status of its error's code.
func materializeJob(t *testing.T, api, token string, req map[string]any) (int, string) {
	t.Helper()
	code, out, _ := raw(t, "POST", api+"/materialize", token, "application/json", jsonBody(req))
	if code != 202 {
		return code, out
	}
	var j struct{ ID string }
	json.Unmarshal([]byte(out), &j)
	_, out, _ = raw(t, "GET", api+"/jobs/"+j.ID+"?wait=30", token, "", "")
	var done struct {
		State string
		Error *struct{ Code string }
	}
	json.Unmarshal([]byte(out), &done)
	switch {
	case done.Error == nil:
		return 200, out
	case done.Error.Code == "forbidden":
		return 403, out
	}
	return 400, out
}

// TestServerDefaultRootHoldsNoSecrets (issue 27, 5): without --data-root
// the working directory is the root, unless it holds the tokens file.
func TestServerDefaultRootHoldsNoSecrets(t *testing.T) {
	dir := demoStore(t)
	tokens := writeTokens(t, dir)
	code, _, stderr := client(t, dir, "", "", "serve", "--store", filepath.Join(dir, ".fs"), "--tokens", tokens, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "holds the server's tokens file") || !strings.Contains(stderr, "give --data-root") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{{"--max-body", "-1"}, {"--request-timeout", "-1s"}, {"--max-jobs", "-2"}, {"--memory-limit", "lots"}} {
		code, _, stderr := client(t, dir, "", "", append([]string{"serve", "--store", filepath.Join(dir, ".fs"), "--addr", "127.0.0.1:0"}, args...)...)
		if code != 2 {
			t.Errorf("fs serve %v: exit %d, %s; want a usage error", args, code, stderr)
		}
	}
}

// TestServerRefusesWhatBrowsersAreMadeToSend (issue 27, 3 and 17): on a
// server without tokens a Host that is not loopback (DNS rebinding), a
// body that does not say it is JSON, and a change from another origin are
// refused; a bearer scheme in lower case is accepted.
func TestServerRefusesWhatBrowsersAreMadeToSend(t *testing.T) {
	dir := demoStore(t)
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--data-root", dir)
	api := url + "/api/v1"
	content, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	body := jsonBody(map[string]any{"file": "f.yaml", "dir": dir, "content": strings.Replace(string(content), "24.0", "25.0", 1)})
	for _, c := range []struct {
		name        string
		contentType string
		header      []string
		status      int
	}{
		{"a rebinding page's Host", "application/json", []string{"Host", "attacker.example:7070"}, 403},
		{"text/plain", "text/plain", nil, 415},
		{"a form", "application/x-www-form-urlencoded", nil, 415},
		{"another site's page", "application/json", []string{"Origin", "http://attacker.example", "Sec-Fetch-Site", "cross-site"}, 403},
	} {
		if code, out, _ := raw(t, "POST", api+"/register", "", c.contentType, body, c.header...); code != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, code, out, c.status)
		}
	}
	if code, _, _ := raw(t, "GET", api+"/features", "", "", "", "Host", "evil.example"); code != 403 {
		t.Errorf("a GET with a foreign Host: %d, want 403", code)
	}
	for _, host := range []string{"localhost:1", "127.0.0.1", "[::1]:7070", "127.1.2.3"} {
		if code, _, _ := raw(t, "GET", api+"/features", "", "", "", "Host", host); code != 200 {
			t.Errorf("Host %s: %d, want 200", host, code)
		}
	}
	_, out, _ := client(t, dir, url, "", "features", "show", "trips_per_hour", "--json")
	if strings.Contains(out, "25.0") {
		t.Fatal("a refused request registered a feature")
	}

	tokens := writeTokens(t, t.TempDir())
	other := filepath.Join(t.TempDir(), ".fs")
	client(t, dir, "", "", "init", "--store", other)
	turl, _, _ := spawnServer(t, other, "--tokens", tokens, "--data-root", dir)
	for _, scheme := range []string{"bearer ", "BEARER ", "Bearer  "} {
		if code, out, _ := raw(t, "GET", turl+"/api/v1/features", "", "", "", "Authorization", scheme+readToken); code != 200 {
			t.Errorf("the scheme %q: %d %s", scheme, code, out)
		}
	}
}

// attackerPage serves, on another origin (another port of 127.0.0.1), a
// page that tries what a hostile site would: a cross-site fetch and form
// posts to the fs server.
func attackerPage(t *testing.T, html string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(html))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestCrossSiteRequestsInChromium (issue 27, 3 and 8): a page on another
// origin, opened in Chromium, posts a registration to a token-less fs
// server (a fetch and a form), and signs the browser into a server with
// tokens with the attacker's token; nothing changes and no one is signed
// in. A login's next= that would leave the site stays on it.
func TestCrossSiteRequestsInChromium(t *testing.T) {
	dir := demoStore(t)
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--data-root", dir)
	content, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	body := jsonBody(map[string]any{"file": "f.yaml", "dir": dir, "content": strings.Replace(string(content), "24.0", "25.0", 1)})
	page := attackerPage(t, fmt.Sprintf(`<html><body>
<form id="f" method="POST" action="%[1]s/api/v1/register" enctype="text/plain"><input name='%[2]s' value=''></form>
<script>
fetch("%[1]s/api/v1/register", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: %[3]q})
  .finally(() => { document.title = "sent"; document.getElementById("f").submit(); });
</script></body></html>`, url, strings.TrimSuffix(body, "}")+`, "x": "`, body))
	b := newBrowser(t, page)
	b.do(chromedp.Navigate(page + "/"))
	time.Sleep(2 * time.Second) // the fetch and the form post
	_, out, _ := client(t, dir, url, "", "features", "show", "trips_per_hour", "--json")
	if strings.Contains(out, "25.0") {
		t.Fatal("a page of another origin registered a feature")
	}

	b.dropErrors() // the refusals the attack met
	tokens := writeTokens(t, t.TempDir())
	other := filepath.Join(t.TempDir(), ".fs")
	client(t, dir, "", "", "init", "--store", other)
	turl, _, _ := spawnServer(t, other, "--tokens", tokens, "--data-root", dir)
	login := attackerPage(t, fmt.Sprintf(`<html><body><form id="f" method="POST" action="%s/login">
<input name="token" value="%s"><input name="next" value="/features"></form>
<script>document.getElementById("f").submit();</script></body></html>`, turl, writeToken))
	b2 := newBrowser(t, turl)
	b2.do(chromedp.Navigate(login + "/"))
	time.Sleep(time.Second)
	b2.dropErrors()
	b2.do(chromedp.Navigate(turl + "/features"))
	if u := b2.url(); !strings.HasPrefix(u, "/login") {
		t.Errorf("after another site's login form the browser is at %s, signed in", u)
	}
	// A next= that a browser would read as another host stays on the site.
	b2.do(chromedp.Navigate(turl+"/login?next=/%09/evil.example"), chromedp.WaitVisible(chromedp.CSS("input[name=token]")),
		chromedp.SendKeys(chromedp.CSS("input[name=token]"), readToken), chromedp.Submit(chromedp.CSS("form")))
	time.Sleep(time.Second)
	var host string
	b2.eval("location.host", &host)
	if !strings.HasPrefix(turl, "http://"+host) {
		t.Errorf("the login sent the browser to %s", host)
	}
	b2.dropErrors()
}

// TestJobsAreLimited (issue 27, 6): one token may have so many jobs
// running or waiting; more are refused with 429 and Retry-After, and
// nothing else is changed.
func TestJobsAreLimited(t *testing.T) {
	dir := demoStore(t)
	tokens := writeTokens(t, t.TempDir())
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--tokens", tokens, "--data-root", dir,
		"--max-jobs", "1", "--max-queued", "1", "--jobs-per-token", "2", "--memory-limit", "1GiB")
	_, runs, _ := client(t, dir, url, readToken, "runs", "list", "--json")
	var list []struct{ ID string }
	json.Unmarshal([]byte(runs), &list)
	var mu sync.Mutex
	codes := map[int]int{}
	retry := ""
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, h := raw(t, "POST", url+"/api/v1/reproduce", readToken, "application/json", jsonBody(map[string]string{"run": list[0].ID}))
			mu.Lock()
			defer mu.Unlock()
			codes[code]++
			if code == 429 {
				retry = h.Get("Retry-After")
			}
		}()
	}
	wg.Wait()
	if codes[202] < 1 || codes[202] > 2 || codes[429] != 8-codes[202] || retry != "10" {
		t.Errorf("answers %v, Retry-After %q; want at most 2 accepted, the rest 429 with Retry-After 10", codes, retry)
	}
}

// TestLargeSweepAndLeftovers (issue 27, 12): a sweep of 2,000 runs is
// recorded whole; a model directory no run has is a leftover fs doctor
// reports and --repair removes.
func TestLargeSweepAndLeftovers(t *testing.T) {
	dir := demoStore(t)
	var alphas, ratios []string
	for i := range 40 {
		alphas = append(alphas, fmt.Sprint(0.001*float64(i+1)))
	}
	for i := range 50 {
		ratios = append(ratios, fmt.Sprint(0.02*float64(i)))
	}
	code, out, stderr := client(t, dir, "", "", "train", "--dataset", "train.parquet", "--target", "trip_completed", "--drop-nulls",
		"--features", "conv_rate", "--alpha", strings.Join(alphas, ","), "--l1-ratio", strings.Join(ratios, ","), "--json")
	if code != 0 {
		t.Fatalf("a sweep of 2,000 runs: exit %d %s", code, stderr)
	}
	var res struct{ Runs []struct{ ID string } }
	json.Unmarshal([]byte(out), &res)
	if len(res.Runs) != 2000 {
		t.Fatalf("%d runs", len(res.Runs))
	}
	orphan := filepath.Join(dir, ".fs", "models", strings.Repeat("ab", 32))
	os.MkdirAll(orphan, 0o755)
	code, out, _ = client(t, dir, "", "", "doctor")
	if code != 0 || !strings.Contains(out, "leftover  model directory .fs/models/"+filepath.Base(orphan)) {
		t.Fatalf("doctor: exit %d\n%s", code, out)
	}
	code, out, _ = client(t, dir, "", "", "doctor", "--repair")
	if code != 0 || !strings.Contains(out, "removed   model directory") || strings.Contains(out, "backup") {
		t.Fatalf("doctor --repair: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(orphan); err == nil {
		t.Fatal("the orphan model directory is still there")
	}
	_, runs, _ := client(t, dir, "", "", "runs", "list", "--json")
	if n := strings.Count(runs, `"parent"`); n < 2000 {
		t.Fatalf("after the repair, %d runs in sweeps", n)
	}
}

// TestLocalCommandNamesTheServer (issue 28, 8): a command run on a store
// directory that fs serve holds says so and how to reach the server.
func TestLocalCommandNamesTheServer(t *testing.T) {
	dir := demoStore(t)
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--data-root", dir)
	code, _, stderr := client(t, dir, "", "", "features", "list")
	if code != 11 || !strings.Contains(stderr, "is held by an fs server (fs serve, process") ||
		!strings.Contains(stderr, "fs: hint: run the command through it: FS_STORE="+url+" fs ...") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}
