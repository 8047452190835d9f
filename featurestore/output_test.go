package featurestore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fs-dev/fs/featurestore"
)

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "orders.tsv")
	os.WriteFile(in, []byte("x"), 0o644)
	link := filepath.Join(dir, "link.tsv")
	os.Symlink(in, link)
	store := filepath.Join(dir, ".fs")
	os.Mkdir(store, 0o755)
	cases := map[string]bool{ // path -> refused
		in:                                    true,
		link:                                  true,
		filepath.Join(dir, ".", "orders.tsv"): true,
		dir:                                   true,
		filepath.Join(store, "x.parquet"):     true,
		filepath.Join(dir, "train.parquet"):   false,
	}
	for out, refused := range cases {
		err := featurestore.CheckOutput("--out", out, []string{in}, []string{store})
		if (err != nil) != refused {
			t.Errorf("CheckOutput(%s) = %v, want refused %v", out, err, refused)
		}
		if err != nil && featurestore.ErrorCode(err) != featurestore.EINVALID {
			t.Errorf("CheckOutput(%s): code %s", out, featurestore.ErrorCode(err))
		}
	}
}

func TestIsURI(t *testing.T) {
	for p, want := range map[string]bool{"s3a://b/x": true, "hdfs://nn/x": true, "file:///x": true, "file:/tmp/x": true,
		"/tmp/x": false, "x.parquet": false, `C:\x`: false, "C:/x": false, "a:b": false, "data/2024:01/x": false} {
		if featurestore.IsURI(p) != want {
			t.Errorf("IsURI(%q) = %v", p, !want)
		}
	}
}
