package materialize

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/internal/filestat"
)

// Digester gives a file's SHA-256 and size.
type Digester interface {
	Sum(path string) (sha string, size int64, err error)
}

// hashFiles is the Digester that always reads the file.
type hashFiles struct{}

func (hashFiles) Sum(path string) (string, int64, error) { return FileSHA256(path) }

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
	SHA256 string `json:"sha256"`
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

// Sum is the file's SHA-256 and size: remembered while the file's size,
// times and inode are unchanged, else read and remembered.
func (c *DigestCache) Sum(path string) (string, int64, error) {
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
