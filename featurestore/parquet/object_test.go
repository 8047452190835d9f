package parquet

import (
	"bytes"
	"context"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/blob/s3"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/s3test"
)

type keyValue struct {
	Key   int64   `parquet:"key"`
	Value float64 `parquet:"value"`
}

// objectRows is a parquet file of n rows, row i holding (i, i*scale).
func objectRows(t *testing.T, n int, scale float64) []byte {
	rows := make([]keyValue, n)
	for i := range rows {
		rows[i] = keyValue{int64(i), float64(i) * scale}
	}
	var buf bytes.Buffer
	if err := pq.Write(&buf, rows, pq.MaxRowsPerRowGroup(700)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// An object's footer is fetched once for each version this process reads
// and held alone (not the window it was fetched in): a read after the
// object was replaced (in a bucket without versions, so only its ETag
// tells) reads the new footer, not the one held.
func TestFootersAreHeldPerObjectVersion(t *testing.T) {
	s3test.Setenv(t)
	s3.Register()
	bucket := s3test.Bucket(t, false)
	uri := "s3://" + bucket + "/a.parquet"
	read := func(n int, scale float64) blob.Object {
		t.Helper()
		tab, _, err := ReadTable(context.Background(), []string{uri}, []string{"key", "value"})
		if err != nil {
			t.Fatal(err)
		}
		if tab.Rows != n {
			t.Fatalf("%d rows, want %d", tab.Rows, n)
		}
		for i := range n {
			if k, v := tab.Series[0].I64[i], tab.Series[1].F64[i]; k != int64(i) || v != float64(i)*scale {
				t.Fatalf("row %d = (%d, %g), want (%d, %g)", i, k, v, i, float64(i)*scale)
			}
		}
		o, err := s3.New(nil).Stat(context.Background(), uri)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := footers.get(o)
		if !ok {
			t.Fatalf("the footer of %+v is not held", o)
		}
		size := int64(len(h.data))
		if h.off+size != o.Size || size > 4096 || !bytes.HasSuffix(h.data, []byte("PAR1")) {
			t.Fatalf("held %d bytes at %d of %d, not the footer alone", size, h.off, o.Size)
		}
		return o
	}
	s3test.Put(t, bucket, "a.parquet", objectRows(t, 2000, 1))
	first := read(2000, 1)
	if again := read(2000, 1); again != first {
		t.Fatalf("the same object reads as %+v, then %+v", first, again)
	}
	s3test.Put(t, bucket, "a.parquet", objectRows(t, 3100, -2.5))
	if second := read(3100, -2.5); second.ETag == first.ETag {
		t.Fatalf("the replaced object kept its ETag %q", first.ETag)
	}
}

// The held footers are bounded: past the limit every other is forgotten,
// one larger than it is not held, nor one of an object no ETag or version
// id names.
func TestHeldFootersAreBounded(t *testing.T) {
	c := footerCache{limit: 100}
	a, b := blob.Object{URI: "s3://b/a", ETag: "1"}, blob.Object{URI: "s3://b/b", Version: "v"}
	c.put(a, heldRange{data: make([]byte, 60)})
	if _, ok := c.get(a); !ok {
		t.Fatal("a is not held")
	}
	c.put(b, heldRange{data: make([]byte, 60)})
	if _, ok := c.get(a); ok {
		t.Error("a is still held past the limit")
	}
	if _, ok := c.get(b); !ok || c.bytes != 60 {
		t.Errorf("b held %v, %d bytes held", ok, c.bytes)
	}
	big := blob.Object{URI: "s3://b/big", ETag: "2"}
	c.put(big, heldRange{data: make([]byte, 101)})
	anon := blob.Object{URI: "s3://b/anon"}
	c.put(anon, heldRange{data: make([]byte, 10)})
	for _, o := range []blob.Object{big, anon} {
		if _, ok := c.get(o); ok {
			t.Errorf("%s is held", o.URI)
		}
	}
	if _, ok := c.get(b); !ok {
		t.Error("b was forgotten for a footer not held")
	}
}

// An object too short to be parquet (empty, or a few bytes) is refused as
// such, as a file is, not as a read before its start.
func TestShortObjectsAreNotParquet(t *testing.T) {
	s3test.Setenv(t)
	s3.Register()
	bucket := s3test.Bucket(t, false)
	for key, data := range map[string]string{"empty.parquet": "", "short.parquet": "a,b\n1,2\n"} {
		s3test.Put(t, bucket, key, []byte(data))
		_, err := FilesSchema(context.Background(), []string{"s3://" + bucket + "/" + key})
		if featurestore.ErrorCode(err) != featurestore.EINVALID || !strings.Contains(err.Error(), "too short for parquet") {
			t.Errorf("%s: %v, want it refused as too short", key, err)
		}
	}
}
