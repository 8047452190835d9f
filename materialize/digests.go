package materialize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/filestat"
)

// Digester describes a source's file or object: its SHA-256 and size,
// and an object's ETag and version id (the version ctx's pins hold, see
// blob.Pins: the one the job reads).
type Digester interface {
	File(ctx context.Context, path string) (featurestore.FileSnapshot, error)
}

// hashFiles is the Digester that always reads the file.
type hashFiles struct{}

func (hashFiles) File(ctx context.Context, path string) (featurestore.FileSnapshot, error) {
	if store, ok := blob.For(path); ok {
		o, err := blob.Stat(ctx, store, path)
		if err != nil {
			return featurestore.FileSnapshot{}, err
		}
		return hashObject(ctx, store, o)
	}
	sum, n, err := FileSHA256(path)
	return featurestore.FileSnapshot{Path: path, Size: n, SHA256: sum}, err
}

// DigestCache remembers each file's SHA-256 with its size, modification
// time, inode and change time (as git's index and DVC do) and reuses it
// while all of them match, so a source that did not change is not read
// again to snapshot it. A file changed less than filestat.RacyWindow before it was
// hashed is not remembered: a change within the clock's granularity could
// leave its times as they were. The cache is a JSON file (in the store
// directory), written whole through a temporary file.
type DigestCache struct {
	path    string
	mu      sync.Mutex
	entries map[string]digestEntry
	dirty   bool
	// Hashed counts the bytes read to hash files (not taken from the cache).
	Hashed int64
	// Verify hashes every file again (and remembers what it finds).
	Verify bool
}

type digestEntry struct {
	filestat.Stat
	SHA256  string `json:"sha256"`
	ETag    string `json:"etag,omitempty"`       // an object's
	Version string `json:"version_id,omitempty"` // an object's, in a bucket that keeps versions
}

// OpenDigestCache reads the cache at path; a missing or unreadable cache
// is an empty one (it only saves work).
func OpenDigestCache(path string) *DigestCache {
	c := &DigestCache{path: path, entries: map[string]digestEntry{}}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &c.entries)
	}
	return c
}

// Sum is the file's SHA-256 and size (File's).
func (c *DigestCache) Sum(path string) (string, int64, error) {
	f, err := c.File(context.Background(), path)
	return f.SHA256, f.Size, err
}

// File is the file's SHA-256 and size: remembered while the file's size,
// times and inode are unchanged, else read and remembered. An object's is
// remembered while its size, ETag and version id are unchanged.
func (c *DigestCache) File(ctx context.Context, path string) (featurestore.FileSnapshot, error) {
	if store, ok := blob.For(path); ok {
		return c.object(ctx, store, path)
	}
	sum, n, err := c.file(path)
	return featurestore.FileSnapshot{Path: path, Size: n, SHA256: sum}, err
}

// file is a local file's SHA-256 and size.
func (c *DigestCache) file(path string) (string, int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", 0, err
	}
	now := digestEntry{Stat: filestat.Of(fi)}
	c.mu.Lock()
	e, ok := c.entries[abs]
	c.mu.Unlock()
	if ok && !c.Verify && e.Stat == now.Stat {
		return e.SHA256, e.Size, nil
	}
	started := time.Now()
	sum, n, err := FileSHA256(abs)
	if err != nil {
		return "", 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Hashed += n
	if n == now.Size && now.Settled(started) {
		now.SHA256 = sum
		c.entries[abs], c.dirty = now, true
	}
	return sum, n, nil
}

// Save writes the cache if it learnt anything; forgets files that are gone.
func (c *DigestCache) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	for p := range c.entries {
		if blob.Handles(p) {
			continue // an object: checked by its ETag when next read
		}
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			delete(c.entries, p)
		}
	}
	b, err := json.Marshal(c.entries)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(c.path, b); err != nil {
		return err
	}
	c.dirty = false
	return nil
}

// object is an object's snapshot: remembered while the store says the same
// size, ETag and version id, else read and remembered.
func (c *DigestCache) object(ctx context.Context, store blob.Store, uri string) (featurestore.FileSnapshot, error) {
	o, err := blob.Stat(ctx, store, uri)
	if err != nil {
		return featurestore.FileSnapshot{}, err
	}
	c.mu.Lock()
	e, ok := c.entries[uri]
	c.mu.Unlock()
	if ok && !c.Verify && o.ETag != "" && e.Size == o.Size && e.ETag == o.ETag && e.Version == o.Version {
		return featurestore.FileSnapshot{Path: uri, Size: o.Size, SHA256: e.SHA256, ETag: o.ETag, Version: o.Version}, nil
	}
	f, err := hashObject(ctx, store, o)
	if err != nil {
		return f, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Hashed += f.Size
	if o.ETag != "" {
		c.entries[uri], c.dirty = digestEntry{Stat: filestat.Stat{Size: f.Size}, SHA256: f.SHA256, ETag: o.ETag, Version: o.Version}, true
	}
	return f, nil
}

// hashPart is the size of the ranged reads an object is hashed from;
// hashAhead how many are read ahead of the hashing.
const (
	hashPart  = 8 << 20
	hashAhead = 4
)

// hashObject reads the version o describes and hashes it, reading parts
// ahead of the hashing in parallel.
func hashObject(ctx context.Context, store blob.Store, o blob.Object) (featurestore.FileSnapshot, error) {
	r, err := store.OpenObject(ctx, o)
	if err != nil {
		return featurestore.FileSnapshot{}, err
	}
	defer r.Close()
	o = r.Object()
	type part struct {
		data []byte
		err  error
	}
	parts := make(chan chan part, hashAhead)
	go func() {
		defer close(parts)
		for off := int64(0); off < o.Size; off += hashPart {
			ch := make(chan part, 1)
			parts <- ch
			go func(off int64) {
				buf := make([]byte, min(hashPart, o.Size-off))
				_, err := r.ReadAt(buf, off)
				if err == io.EOF {
					err = nil
				}
				ch <- part{buf, err}
			}(off)
		}
	}()
	h := sha256.New()
	var first error
	for ch := range parts {
		p := <-ch
		if p.err != nil && first == nil {
			first = p.err
		}
		h.Write(p.data)
	}
	if first != nil {
		return featurestore.FileSnapshot{}, first
	}
	return featurestore.FileSnapshot{Path: o.URI, Size: o.Size, SHA256: hex.EncodeToString(h.Sum(nil)), ETag: o.ETag, Version: o.Version}, nil
}
