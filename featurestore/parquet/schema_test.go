package parquet_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/transforms"
)

func write[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pq.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// kinds covers the column kinds writers produce: Spark's INT96 and millis,
// nanos, int32, float32, booleans, strings, local timestamps, optional.
type kinds struct {
	Spark    deprecated.Int96 `parquet:"spark_ts"`
	Millis   int64            `parquet:"millis,timestamp(millisecond:utc)"`
	Nanos    int64            `parquet:"nanos,timestamp(nanosecond:local)"`
	Small    int32            `parquet:"small"`
	Ratio    float32          `parquet:"ratio"`
	Flag     bool             `parquet:"flag"`
	Name     string           `parquet:"name"`
	Maybe    *float64         `parquet:"maybe,optional"`
	Raw      []byte           `parquet:"raw"`
	Repeated []int64          `parquet:"repeated,list"`
}

func TestColumnKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.parquet")
	write(t, path, []kinds{{Name: "a"}})
	s, err := parquet.SchemaReader{}.ReadSchema(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		phys string
		typ  transforms.Type
	}{
		"spark_ts": {"INT96", transforms.Timestamp},
		"millis":   {"INT64/TIMESTAMP(MILLIS,UTC)", transforms.Timestamp},
		"nanos":    {"INT64/TIMESTAMP(NANOS,LOCAL)", transforms.Timestamp},
		"small":    {"INT32", transforms.Int64},
		"ratio":    {"FLOAT", transforms.Float64},
		"flag":     {"BOOLEAN", transforms.Bool},
		"name":     {"BYTE_ARRAY/STRING", transforms.String},
		"maybe":    {"DOUBLE", transforms.Float64},
		"raw":      {"BYTE_ARRAY", ""},
	}
	for name, w := range want {
		c, ok := s.Lookup(name)
		if !ok || c.Physical != w.phys || c.Type != w.typ {
			t.Errorf("%s = %+v, want %s / %q", name, c, w.phys, w.typ)
		}
	}
	if c, _ := s.Lookup("maybe"); !c.Nullable {
		t.Error("optional column not nullable")
	}
	for _, c := range s {
		if strings.HasPrefix(c.Name, "repeated") && c.Type != "" {
			t.Errorf("nested column %+v readable by expressions", c)
		}
	}
}

type a struct {
	X float64 `parquet:"x"`
	Y int64   `parquet:"y"`
}

type b struct {
	X float32 `parquet:"x"`
	Y int64   `parquet:"y"`
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "d", "part-1.parquet"), []a{{1, 2}})
	write(t, filepath.Join(dir, "d", "sub", "part-2.parquet"), []a{{3, 4}})
	os.WriteFile(filepath.Join(dir, "d", "_SUCCESS"), nil, 0o644)
	files, err := parquet.Files(filepath.Join(dir, "d"))
	if err != nil || len(files) != 2 {
		t.Fatalf("Files(dir) = %v, %v; want the 2 parquet files", files, err)
	}
	files, err = parquet.Files(filepath.Join(dir, "d", "*.parquet"))
	if err != nil || len(files) != 1 {
		t.Fatalf("Files(glob) = %v, %v", files, err)
	}
	if _, err := (parquet.SchemaReader{}).ReadSchema(filepath.Join(dir, "d")); err != nil {
		t.Errorf("directory of equal schemas: %v", err)
	}
	write(t, filepath.Join(dir, "d", "part-3.parquet"), []b{{1, 2}})
	_, err = parquet.SchemaReader{}.ReadSchema(filepath.Join(dir, "d"))
	if featurestore.ErrorCode(err) != featurestore.EINVALID || !strings.Contains(err.Error(), "column x is FLOAT, not DOUBLE") {
		t.Errorf("mixed schemas: %v", err)
	}
	_, err = parquet.Files(filepath.Join(dir, "nothing*.parquet"))
	if err == nil || !strings.Contains(err.Error(), "no parquet files") {
		t.Errorf("empty glob: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "junk.parquet"), []byte("not parquet at all"), 0o644)
	_, err = parquet.SchemaReader{}.ReadSchema(filepath.Join(dir, "junk.parquet"))
	if err == nil || !strings.Contains(err.Error(), "is not a readable parquet file") {
		t.Errorf("junk file: %v", err)
	}
}
