package s3_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/blob/s3"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/s3test"
)

// store is an s3 store of the test server.
func store(t *testing.T) *s3.Store {
	env := s3test.Env(t)
	return s3.New(func(k string) string { return env[k] })
}

func TestListStatAndRangedReads(t *testing.T) {
	s3test.Setenv(t)
	st, ctx := store(t), context.Background()
	b := s3test.Bucket(t, false)
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	for _, k := range []string{"src/a.parquet", "src/b.parquet", "src/_SUCCESS", "src/.hidden.parquet", "src/sub/c.parquet", "other/d.parquet", "src/notes.txt"} {
		s3test.Put(t, b, k, data)
	}
	list := func(uri string) []string {
		objs, err := st.List(ctx, uri)
		if err != nil {
			t.Fatalf("List(%s): %v", uri, err)
		}
		var out []string
		for _, o := range objs {
			out = append(out, strings.TrimPrefix(o.URI, "s3://"+b+"/"))
		}
		return out
	}
	for uri, want := range map[string]string{
		"s3://" + b + "/src/":          "src/a.parquet src/b.parquet src/sub/c.parquet",
		"s3://" + b + "/src":           "src/a.parquet src/b.parquet src/sub/c.parquet",
		"s3://" + b + "/src/*.parquet": "src/a.parquet src/b.parquet",
		"s3://" + b + "/src/a.parquet": "src/a.parquet",
		"s3://" + b + "/*/*.parquet":   "other/d.parquet src/a.parquet src/b.parquet",
	} {
		if got := strings.Join(list(uri), " "); got != want {
			t.Errorf("List(%s) = %s, want %s", uri, got, want)
		}
	}
	o, err := st.Stat(ctx, "s3://"+b+"/src/a.parquet")
	if err != nil || o.Size != int64(len(data)) || o.ETag == "" || strings.Contains(o.ETag, `"`) {
		t.Fatalf("Stat = %+v, %v", o, err)
	}
	r, err := st.Open(ctx, o.URI, "")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 25)
	if n, err := r.ReadAt(buf, 999_990); n != 10 || err != io.EOF || string(buf[:n]) != "0123456789" {
		t.Errorf("ReadAt at the end: %d %v %q", n, err, buf[:n])
	}
	if n, err := r.ReadAt(buf, 12); n != 25 || err != nil || string(buf) != "2345678901234567890123456" {
		t.Errorf("ReadAt: %d %v %q", n, err, buf)
	}
	// Replaced while open: the reader is pinned to what it opened.
	s3test.Put(t, b, "src/a.parquet", []byte("something else entirely"))
	if _, err := r.ReadAt(buf, 0); featurestore.ErrorCode(err) != featurestore.ECONFLICT {
		t.Errorf("a read of a replaced object: %v, want a conflict", err)
	}
}

func TestVersionsAreReadAsAsked(t *testing.T) {
	s3test.Setenv(t)
	st, ctx := store(t), context.Background()
	b := s3test.Bucket(t, true)
	uri := "s3://" + b + "/k.parquet"
	s3test.Put(t, b, "k.parquet", []byte("first"))
	first, err := st.Stat(ctx, uri)
	if err != nil || first.Version == "" {
		t.Fatalf("Stat in a versioned bucket: %+v %v", first, err)
	}
	s3test.Put(t, b, "k.parquet", []byte("second!"))
	for _, c := range []struct{ uri, version, want string }{
		{uri, "", "second!"}, {uri, first.Version, "first"}, {blob.Versioned(uri, first.Version), "", "first"},
	} {
		r, err := st.Open(ctx, c.uri, c.version)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, r.Object().Size)
		if _, err := r.ReadAt(got, 0); err != nil || string(got) != c.want || r.Object().URI != uri {
			t.Errorf("Open(%s, %q) read %q (%v), object %+v", c.uri, c.version, got, err, r.Object())
		}
	}
	_, err = st.Stat(ctx, blob.Versioned(uri, "no-such-version"))
	check(t, "a version that does not exist", err, featurestore.ENOTFOUND, "version no-such-version is gone")
}

// A multipart upload appears only when committed; an aborted one never.
func TestWritesAppearWholeOrNotAtAll(t *testing.T) {
	s3test.Setenv(t)
	st, ctx := store(t), context.Background()
	b := s3test.Bucket(t, false)
	big := bytes.Repeat([]byte("abcdefgh"), 5<<20) // 40 MiB: three parts
	for _, c := range []struct {
		key  string
		data []byte
	}{{"small.parquet", []byte("tiny")}, {"big.parquet", big}} {
		uri := "s3://" + b + "/" + c.key
		w, err := st.Create(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(c.data[:len(c.data)/2])
		w.Write(c.data[len(c.data)/2:])
		if _, err := st.Stat(ctx, uri); featurestore.ErrorCode(err) != featurestore.ENOTFOUND {
			t.Errorf("%s is visible before Commit: %v", c.key, err)
		}
		if err := w.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		o, err := st.Stat(ctx, uri)
		if err != nil || o.Size != int64(len(c.data)) {
			t.Errorf("%s after Commit: %+v %v", c.key, o, err)
		}
		aborted := "s3://" + b + "/aborted-" + c.key
		w, _ = st.Create(ctx, aborted)
		w.Write(c.data)
		if err := w.Abort(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Stat(ctx, aborted); featurestore.ErrorCode(err) != featurestore.ENOTFOUND {
			t.Errorf("aborted %s is visible: %v", c.key, err)
		}
	}
}

// Each failure says what it is, with fs's code and a hint.
func TestErrorsSayWhatIsWrong(t *testing.T) {
	env := s3test.Env(t)
	ctx := context.Background()
	b := s3test.Bucket(t, false)
	with := func(k, v string) *s3.Store {
		return s3.New(func(n string) string {
			if n == k {
				return v
			}
			return env[n]
		})
	}
	t.Setenv("AWS_ACCESS_KEY_ID", env["AWS_ACCESS_KEY_ID"])
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	t.Setenv("AWS_ENDPOINT_URL", env["AWS_ENDPOINT_URL"])
	_, err := with("", "").Stat(ctx, "s3://"+b+"/x.parquet")
	check(t, "wrong secret", err, featurestore.EINVALID, "AWS_SECRET_ACCESS_KEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", env["AWS_SECRET_ACCESS_KEY"])
	_, err = with("", "").Stat(ctx, "s3://no-such-bucket-fs/x.parquet")
	check(t, "missing bucket", err, featurestore.ENOTFOUND, "no bucket no-such-bucket-fs")
	_, err = with("", "").List(ctx, "s3://no-such-bucket-fs/dir/")
	check(t, "missing bucket, listed", err, featurestore.ENOTFOUND, "no bucket no-such-bucket-fs")
	_, err = with("", "").Stat(ctx, "s3://"+b+"/none.parquet")
	check(t, "missing key", err, featurestore.ENOTFOUND, "no such object")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	_, err = with("AWS_ENDPOINT_URL", "http://127.0.0.1:1").Stat(ctx, "s3://"+b+"/x.parquet")
	check(t, "unreachable", err, featurestore.ENOSTORE, "cannot reach http://127.0.0.1:1")
	_, err = with("", "").Stat(ctx, "s3://"+b+"/../x")
	check(t, "a .. element", err, featurestore.EINVALID, "not an s3://bucket/key URI")
}

func check(t *testing.T, what string, err error, code, says string) {
	t.Helper()
	if featurestore.ErrorCode(err) != code || !strings.Contains(err.Error()+" "+featurestore.ErrorHint(err), says) || featurestore.ErrorHint(err) == "" {
		t.Errorf("%s: %v (code %s, hint %q); want code %s saying %q with a hint", what, err, featurestore.ErrorCode(err), featurestore.ErrorHint(err), code, says)
	}
}

// Within a job (a context with pins), the first Stat or Open of an object
// pins its version: later ones read that version, and once it is replaced
// a read of an unversioned bucket's object is a conflict, while a
// versioned bucket's still gives the bytes pinned. Without pins, each
// Open reads the object as it is.
func TestPinsReadOneVersion(t *testing.T) {
	s3test.Setenv(t)
	st := store(t)
	read := func(ctx context.Context, uri string) (string, blob.Object, error) {
		t.Helper()
		r, err := blob.Open(ctx, st, uri)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, r.Object().Size)
		_, err = r.ReadAt(got, 0)
		return string(got), r.Object(), err
	}
	for _, versioned := range []bool{false, true} {
		b := s3test.Bucket(t, versioned)
		uri := "s3://" + b + "/k.parquet"
		s3test.Put(t, b, "k.parquet", []byte("first"))
		job := blob.WithPins(context.Background())
		if blob.WithPins(job) != job {
			t.Error("WithPins of a job's context made new pins")
		}
		got, first, err := read(job, uri)
		if err != nil || got != "first" {
			t.Fatalf("versioned %v: the first read %q %v", versioned, got, err)
		}
		s3test.Put(t, b, "k.parquet", []byte("second!"))
		if o, err := blob.Stat(job, st, uri); err != nil || o != first {
			t.Errorf("versioned %v: Stat in the job = %+v %v, want the pinned %+v", versioned, o, err, first)
		}
		got, again, err := read(job, uri)
		if again != first {
			t.Errorf("versioned %v: opened %+v in the job, want the pinned %+v", versioned, again, first)
		}
		if versioned && (err != nil || got != "first") {
			t.Errorf("a pinned version read %q %v, want %q", got, err, "first")
		}
		if !versioned && featurestore.ErrorCode(err) != featurestore.ECONFLICT {
			t.Errorf("a pinned, replaced object read %q %v, want a conflict", got, err)
		}
		if got, _, err := read(context.Background(), uri); err != nil || got != "second!" {
			t.Errorf("versioned %v: outside a job read %q %v, want %q", versioned, got, err, "second!")
		}
	}
}

// A server that takes the connection and never answers, or stops in the
// middle of a body, is an error after FS_S3_TIMEOUT (each of the SDK's
// attempts), not a hang; a timeout that is not a duration is refused.
func TestAServerThatHangsIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go hangingServer(ln)
	env := map[string]string{"AWS_ENDPOINT_URL": "http://" + ln.Addr().String(), "AWS_ACCESS_KEY_ID": "k",
		"AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1", s3.TimeoutVar: "200ms"}
	for k := range env {
		t.Setenv(k, env[k])
	}
	st, ctx := s3.New(func(k string) string { return env[k] }), context.Background()
	started := time.Now()
	_, err = st.Stat(ctx, "s3://b/x.parquet")
	check(t, "a server that never answers", err, featurestore.ENOSTORE, "did not answer within 200ms")
	r, err := st.OpenObject(ctx, blob.Object{URI: "s3://b/x.parquet", Size: 10, ETag: "e"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.ReadAt(make([]byte, 10), 0)
	check(t, "a body that stops", err, featurestore.ENOSTORE, "did not answer within 200ms")
	if took := time.Since(started); took > 20*time.Second {
		t.Errorf("a hanging server gave its errors after %v", took)
	}
	env[s3.TimeoutVar] = "soon"
	_, err = s3.New(func(k string) string { return env[k] }).Stat(ctx, "s3://b/x.parquet")
	check(t, "a timeout that is not a duration", err, featurestore.EINVALID, "FS_S3_TIMEOUT")
}

// hangingServer takes connections and holds them: a GET gets the start of
// a 10-byte body, anything else nothing at all.
func hangingServer(ln net.Listener) {
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		held = append(held, c)
		go func() {
			req := make([]byte, 4096)
			if n, _ := c.Read(req); bytes.HasPrefix(req[:n], []byte("GET ")) {
				io.WriteString(c, "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nContent-Range: bytes 0-9/10\r\n\r\nabc")
			}
		}()
	}
}
