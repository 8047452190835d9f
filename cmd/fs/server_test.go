package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// spawnServer runs fs serve as its own process (as a team runs it) and
// returns its URL; the process is killed when the test ends if it still
// runs.
func spawnServer(t *testing.T, store string, flags ...string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	var stderr syncBuffer
	cmd := exec.Command("fs", append([]string{"serve", "--store", store, "--addr", "127.0.0.1:0"}, flags...)...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := servingRe.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], cmd, &stderr
		}
	}
	t.Fatalf("fs serve did not start: %s", stderr.String())
	return "", nil, nil
}

// client runs the fs command line against a server with a token, in dir,
// and returns its exit code, stdout and stderr.
func client(t *testing.T, dir, url, token string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("fs", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FS_STORE="+url, "FS_TOKEN="+token)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

const (
	readToken  = "read-token-0123456789"
	writeToken = "write-token-0123456789"
)

func writeTokens(t *testing.T, dir string) string {
	path := filepath.Join(dir, "tokens.yaml")
	body := "tokens:\n  - {name: reader, role: read, token: " + readToken + "}\n  - {name: writer, role: write, token: " + writeToken + "}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServerRefusesWithoutRights: no token, a bad token, a read token
// writing and a path outside the data roots are each refused with the
// right status and a clear message, and change nothing.
func TestServerRefusesWithoutRights(t *testing.T) {
	dir := demoStore(t)
	tokens := writeTokens(t, t.TempDir())
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--tokens", tokens, "--data-root", dir)
	_, before, _ := client(t, dir, url, readToken, "datasets", "list", "--json")
	_, feats, _ := client(t, dir, url, readToken, "features", "list", "--json")

	cases := []struct {
		name, token string
		args        []string
		status      int
		stderr      string
	}{
		{"no token", "", []string{"features", "list"}, 401, "fs: error: this fs server needs a token\nfs: hint: export FS_TOKEN=SECRET"},
		{"bad token", "not-a-token-at-all", []string{"features", "list"}, 401, "fs: error: the server does not know this token"},
		{"read token writing", readToken, []string{"register", "features.yaml"}, 403, "fs: error: token reader has the read role; this needs write"},
		{"read token materializing", readToken, []string{"materialize", "--features", "conv_rate", "--entities", "orders.tsv", "--out", "x.parquet"}, 403, "this needs write"},
		{"outside the data roots", writeToken, []string{"materialize", "--features", "conv_rate", "--entities", "/etc/passwd", "--out", "x.parquet"}, 403,
			"fs: error: entities: /etc/passwd is outside the server's data roots\nfs: hint: the server reads and writes only under its data roots"},
		{"a source outside the data roots", writeToken, []string{"register", "../outside.yaml"}, 403, "is outside the server's data roots"},
	}
	os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.yaml"), []byte("entities: [{name: d, join_keys: [id]}]\nsources: [{name: s, path: /etc/passwd, entity: d, timestamp_field: ts}]\n"), 0o644)
	for _, c := range cases {
		code, stdout, stderr := client(t, dir, url, c.token, c.args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.name, code, stdout, stderr, c.stderr)
		}
	}
	// The statuses, as another program sees them.
	for _, c := range []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/features", "", 401}, {"GET", "/features", "nope-nope-nope-nope", 401},
		{"POST", "/train", readToken, 403}, {"GET", "/features", readToken, 200}, {"GET", "/health", "", 200},
	} {
		req, _ := http.NewRequest(c.method, url+"/api/v1"+c.path, strings.NewReader("{}"))
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s with %q: %d, want %d", c.method, c.path, c.token, resp.StatusCode, c.status)
		}
	}
	if _, after, _ := client(t, dir, url, readToken, "datasets", "list", "--json"); after != before {
		t.Errorf("a refused request changed the datasets:\n%s\n%s", before, after)
	}
	if _, after, _ := client(t, dir, url, readToken, "features", "list", "--json"); after != feats {
		t.Errorf("a refused request changed the features")
	}

	// What a token does is recorded under its name.
	defs, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	os.WriteFile(filepath.Join(dir, "changed.yaml"), []byte(strings.Replace(string(defs), "avg_daily_trips / 24.0", "avg_daily_trips / 24.0 * 1.5", 1)), 0o644)
	if code, _, stderr := client(t, dir, url, writeToken, "register", "changed.yaml"); code != 0 {
		t.Fatalf("register with the write token: %s", stderr)
	}
	_, out, _ := client(t, dir, url, readToken, "features", "show", "trips_per_hour", "--json")
	var shown struct {
		Versions []struct {
			Current      bool   `json:"current"`
			RegisteredBy string `json:"registered_by"`
		} `json:"versions"`
	}
	json.Unmarshal([]byte(out), &shown)
	if len(shown.Versions) != 2 || !shown.Versions[0].Current || shown.Versions[0].RegisteredBy != "writer" {
		t.Errorf("the new version is not recorded as registered by the token's name: %s", out)
	}
}

// TestServerBindsOnlyLoopbackWithoutTokens: fs serve refuses an address
// others can reach unless it has tokens.
func TestServerBindsOnlyLoopbackWithoutTokens(t *testing.T) {
	dir := demoStore(t)
	code, _, stderr := client(t, dir, "", "", "serve", "--store", filepath.Join(dir, ".fs"), "--addr", "0.0.0.0:0")
	if code != 1 || !strings.Contains(stderr, "fs: error: refusing to serve on 0.0.0.0:0 without tokens") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	tokens := writeTokens(t, t.TempDir())
	cmd := exec.Command("fs", "serve", "--store", filepath.Join(dir, ".fs"), "--addr", "0.0.0.0:0", "--tokens", tokens)
	var stderrBuf syncBuffer
	cmd.Stderr = &stderrBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderrBuf.String(), "serving"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("with tokens it should serve: %s", stderrBuf.String())
		}
	}
}

// TestServerTLS: with --tls-cert and --tls-key the server speaks HTTPS,
// and the CLI reaches it trusting the certificate through SSL_CERT_FILE.
func TestServerTLS(t *testing.T) {
	dir := demoStore(t)
	cert, key := selfSigned(t, t.TempDir())
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--tls-cert", cert, "--tls-key", key, "--data-root", dir)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("url %s", url)
	}
	t.Setenv("SSL_CERT_FILE", cert)
	code, stdout, stderr := client(t, dir, url, "", "features", "list")
	if code != 0 || !strings.Contains(stdout, "conv_rate") {
		t.Errorf("over TLS: exit %d, %s %s", code, stdout, stderr)
	}
	t.Setenv("SSL_CERT_FILE", os.DevNull)
	if code, _, stderr := client(t, dir, url, "", "features", "list"); code != 10 || !strings.Contains(stderr, "certificate") {
		t.Errorf("an untrusted certificate: exit %d, %s", code, stderr)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (string, string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fs test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}

// bigEntities writes an entity file of n rows (the demo's orders over and
// over): a materialize that takes a second or two.
func bigEntities(t *testing.T, dir string, n int) string {
	orders, err := os.ReadFile(filepath.Join(dir, "orders.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(orders)), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for i := 0; i < n; i++ {
		b.WriteString(lines[1+i%(len(lines)-1)] + "\n")
	}
	path := filepath.Join(dir, "big.tsv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServerStopsCleanly: SIGTERM while a materialize job runs refuses new
// work with 503, lets the job finish and record its dataset, closes the
// store and exits 0.
func TestServerStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("materializes a million rows")
	}
	dir := demoStore(t)
	big := bigEntities(t, dir, 1_000_000)
	store := filepath.Join(dir, ".fs")
	url, cmd, stderr := spawnServer(t, store, "--data-root", dir)
	body := `{"features": ["conv_rate", "acc_rate"], "entities": "` + big + `", "out": "` + filepath.Join(dir, "big.parquet") + `", "server_side_out": true}`
	resp, err := http.Post(url+"/api/v1/materialize", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start the job: %v %v", err, resp)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(stderr.String(), "stopping"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no sign of stopping: %s", stderr.String())
		}
	}
	resp, err = http.Post(url+"/api/v1/register", "application/json", strings.NewReader(`{"file": "f.yaml", "dir": "/", "content": "x"}`))
	if err != nil {
		t.Fatalf("while the job runs the server still answers: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("new work while stopping: %d, want 503", resp.StatusCode)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fs serve after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "fs: stopped; the store is closed") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "big.parquet")); err != nil {
		t.Errorf("the job's output: %v", err)
	}
	code, out, _ := client(t, dir, store, "", "datasets", "list")
	if code != 0 || !strings.Contains(out, "big.parquet") || !strings.Contains(out, "1000000") {
		t.Errorf("the job's dataset is not recorded: %d %s", code, out)
	}
}

// TestInterruptedClientCancelsItsJob: Ctrl-C on a materialize against a
// server cancels its job: nothing is recorded, no file is left, and the
// server keeps serving.
func TestInterruptedClientCancelsItsJob(t *testing.T) {
	if testing.Short() {
		t.Skip("materializes a million rows")
	}
	dir := demoStore(t)
	bigEntities(t, dir, 1_000_000)
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--data-root", dir)
	_, before, _ := client(t, dir, url, "", "datasets", "list", "--json")
	cmd := exec.Command("fs", "materialize", "--features", "conv_rate,acc_rate", "--entities", "big.tsv", "--out", "big.parquet")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FS_STORE="+url)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the job is running
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("interrupted client: %v, %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "fs: error: interrupted; nothing was changed") {
		t.Errorf("stderr: %s", stderr.String())
	}
	var states []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url + "/api/v1/jobs")
		if err != nil {
			t.Fatal(err)
		}
		var jobs []struct{ Kind, State string }
		json.NewDecoder(resp.Body).Decode(&jobs)
		resp.Body.Close()
		states = nil
		for _, j := range jobs {
			states = append(states, j.Kind+" "+j.State)
		}
		if len(jobs) == 1 && jobs[0].State != "running" && jobs[0].State != "queued" {
			break
		}
	}
	if len(states) != 1 || states[0] != "materialize cancelled" {
		t.Errorf("jobs: %v, want the materialize cancelled", states)
	}
	if _, after, _ := client(t, dir, url, "", "datasets", "list", "--json"); after != before {
		t.Errorf("a cancelled job recorded a dataset")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "big.parquet*")); len(m) > 0 {
		t.Errorf("files left: %v", m)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".fs-outputs", "*", "*")); len(m) > 0 {
		t.Errorf("files left on the server: %v", m)
	}

	// A job started elsewhere is found and cancelled with fs jobs.
	body := `{"features": ["conv_rate"], "entities": "` + filepath.Join(dir, "big.tsv") + `", "out": "` + filepath.Join(dir, "x.parquet") + `"}`
	resp, err := http.Post(url+"/api/v1/materialize", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var job struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if code, out, stderr := client(t, dir, url, "", "jobs", "list"); code != 0 || !strings.Contains(out, job.ID) {
		t.Errorf("fs jobs list: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := client(t, dir, url, "", "jobs", "cancel", job.ID); code != 0 || !strings.Contains(out, "state    cancelled") {
		t.Errorf("fs jobs cancel: %d %q %q", code, out, stderr)
	}
	if _, after, _ := client(t, dir, url, "", "datasets", "list", "--json"); after != before {
		t.Errorf("a cancelled job recorded a dataset")
	}
}

// A server connects only to its own Spark: a client's --spark-remote is
// refused before anything is dialled.
func TestServerRefusesAClientsSparkRemote(t *testing.T) {
	dir := demoStore(t)
	url, _, _ := spawnServer(t, filepath.Join(dir, ".fs"), "--data-root", dir)
	code, _, stderr := client(t, dir, url, "", "materialize", "--features", "conv_rate", "--entities", "orders.tsv", "--out", "x.parquet",
		"--engine", "spark", "--spark-remote", "sc://10.1.2.3:15002")
	if code != 1 || !strings.Contains(stderr, "fs: error: spark_remote: this fs server uses its own Spark Connect server") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
