package blob

import (
	"context"
	"io"
	"path"
	"strings"
	"sync"
)

// Object is what a store says of one object version.
type Object struct {
	URI     string `json:"uri"` // scheme://bucket/key
	Size    int64  `json:"size"`
	ETag    string `json:"etag,omitempty"`
	Version string `json:"version_id,omitempty"` // "" where the bucket keeps no versions
}

// Same reports whether o and p are the same bytes by what the store says
// of them: the same size, ETag and version id.
func (o Object) Same(p Object) bool {
	return o.URI == p.URI && o.Size == p.Size && o.ETag == p.ETag && o.Version == p.Version
}

// Named reports whether o names one version of an object: by its ETag or
// its version id (an object a store describes with neither cannot be read
// again as that version).
func (o Object) Named() bool { return o.ETag != "" || o.Version != "" }

// Reader reads one object version by ranges; it is safe for concurrent use.
type Reader interface {
	io.ReaderAt
	io.Closer
	Object() Object
}

// Writer writes an object that appears, whole, only on Commit; Abort (or
// a failed Commit) leaves nothing at its URI.
type Writer interface {
	io.Writer
	Commit(ctx context.Context) error
	Abort(ctx context.Context) error
}

// Store is the objects of one URI scheme. Its errors are written for the
// person at the terminal (an adapter gives them fs's error codes).
type Store interface {
	// List expands a source path: one object (a key), every *.parquet
	// object under a prefix ending in "/" or naming a "directory", or the
	// objects whose keys match a glob; sorted by URI.
	List(ctx context.Context, uri string) ([]Object, error)
	// Stat describes the current version of an object.
	Stat(ctx context.Context, uri string) (Object, error)
	// Open reads an object: its current version for version "", else that
	// version. Stat and Open also take a URI made by Versioned.
	Open(ctx context.Context, uri, version string) (Reader, error)
	// OpenObject reads the version o describes, as this store's Stat, List
	// or Open gave it, without asking the store again: a read fails once
	// the object is no longer that version.
	OpenObject(ctx context.Context, o Object) (Reader, error)
	// Create starts writing an object.
	Create(ctx context.Context, uri string) (Writer, error)
}

var (
	mu     sync.RWMutex
	stores = map[string]Store{}
)

// Register makes s the store of URIs of scheme (as "s3").
func Register(scheme string, s Store) {
	mu.Lock()
	defer mu.Unlock()
	stores[strings.ToLower(scheme)] = s
}

// For returns the store of uri's scheme.
func For(uri string) (Store, bool) {
	scheme, _, ok := strings.Cut(uri, "://")
	if !ok {
		return nil, false
	}
	mu.RLock()
	defer mu.RUnlock()
	s, ok := stores[strings.ToLower(scheme)]
	return s, ok
}

// Handles reports whether a registered store reads uri.
func Handles(uri string) bool {
	_, ok := For(uri)
	return ok
}

// Split parses scheme://bucket/key. The key is cleaned of "." elements;
// a ".." element is refused (ok false), so a prefix check on the result
// is a check on what is read.
func Split(uri string) (scheme, bucket, key string, ok bool) {
	scheme, rest, found := strings.Cut(uri, "://")
	if !found || scheme == "" {
		return "", "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", "", false
	}
	for _, el := range strings.Split(key, "/") {
		if el == ".." {
			return "", "", "", false
		}
	}
	trailing := strings.HasSuffix(key, "/")
	if key != "" {
		key = strings.TrimPrefix(path.Clean("/"+key), "/")
		if trailing && key != "" {
			key += "/"
		}
	}
	return strings.ToLower(scheme), bucket, key, true
}

// Join is the URI of key in bucket.
func Join(scheme, bucket, key string) string { return scheme + "://" + bucket + "/" + key }

// Within reports whether uri lies under prefix (a bucket, or a bucket and
// a key prefix ending in "/" or a whole key), both as Split cleans them.
func Within(uri, prefix string) bool {
	s1, b1, k1, ok1 := Split(uri)
	s2, b2, k2, ok2 := Split(prefix)
	if !ok1 || !ok2 || s1 != s2 || b1 != b2 {
		return false
	}
	if k2 == "" {
		return true
	}
	if !strings.HasSuffix(k2, "/") {
		return k1 == k2 || strings.HasPrefix(k1, k2+"/")
	}
	return strings.HasPrefix(k1, k2)
}

// versionMark starts an object version in a URI, as in S3's own links:
// s3://bucket/key?versionId=V names version V of the object. (A key that
// itself holds "?versionId=" cannot be named.)
const versionMark = "?versionId="

// Versioned is the URI of version v of the object at uri ("" : uri).
func Versioned(uri, v string) string {
	if v == "" {
		return uri
	}
	return uri + versionMark + v
}

// SplitVersion splits a URI made by Versioned into the object's URI and
// the version ("" when it names none).
func SplitVersion(uri string) (plain, version string) {
	if i := strings.LastIndex(uri, versionMark); i >= 0 {
		return uri[:i], uri[i+len(versionMark):]
	}
	return uri, ""
}
