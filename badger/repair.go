package badger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"
	bopts "github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/fs-dev/fs/featurestore"
)

// RepairResult says what Repair did.
type RepairResult struct {
	Backup string `json:"backup"` // the store as it was, untouched ("": it was whole, not rebuilt)
	// Removed lists the leftovers of killed commands taken away (Clean).
	Removed []string `json:"removed"`
	Kept    int      `json:"kept"`  // records carried into the repaired store
	Lost    []string `json:"lost"`  // what could not be read
	After   *Report  `json:"after"` // Check of the repaired store
}

// internalPrefix marks Badger's own keys, which a new store makes anew.
var internalPrefix = []byte("!badger!")

// Repair mends the store at dir. A store whose files or records are
// damaged is rebuilt from every record that can still be read: each table
// file (whether or not the MANIFEST names it, each as far as its blocks
// verify) and the committed part of each write-ahead log, the newest
// version of each key winning; the store as it was is renamed to a backup
// beside it and never changed, and the models directory is copied. Then,
// whole or rebuilt, the leftovers of killed commands are removed (Clean).
func Repair(ctx context.Context, dir string) (*RepairResult, error) {
	if !Exists(dir) {
		return nil, featurestore.Errorf(featurestore.ENOSTORE, "no fs store at %s", dir)
	}
	before, err := Check(ctx, dir)
	if featurestore.ErrorCode(err) == featurestore.ELOCKED {
		return nil, err
	}
	res := &RepairResult{}
	if err != nil || !before.OK() { // a store that does not open is damaged too
		if res, err = rebuild(ctx, dir); err != nil {
			return nil, err
		}
	}
	s, err := Open(dir, false)
	if err != nil {
		return nil, err
	}
	res.Removed, err = s.Clean(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if res.Removed == nil {
		res.Removed = []string{}
	}
	res.After, err = Check(ctx, dir)
	return res, err
}

// rebuild writes the store anew from what can be read, keeping the old
// one as a backup.
func rebuild(ctx context.Context, dir string) (*RepairResult, error) {
	lock, err := lockExclusive(dir)
	if err != nil {
		return nil, openError(dir, err)
	}
	defer lock.Close()
	latest, lost, err := salvage(dir)
	if err != nil {
		return nil, err
	}
	if _, ok := latest[formatKey]; !ok {
		latest[formatKey] = kv{key: []byte(formatKey), value: []byte(Format)}
		lost = append(lost, "the store's format record (written anew)")
	}
	fresh := dir + ".repairing"
	os.RemoveAll(fresh)
	kept, err := writeFresh(fresh, latest)
	if err != nil {
		os.RemoveAll(fresh)
		return nil, fmt.Errorf("repair: write the new store: %w", err)
	}
	for _, sub := range []func(string) string{ModelsDir, EntitiesDir} {
		if err := copyTree(sub(dir), sub(fresh)); err != nil {
			os.RemoveAll(fresh)
			return nil, fmt.Errorf("repair: copy %s: %w", filepath.Base(sub(dir)), err)
		}
	}
	backup := backupName(dir)
	if err := os.Rename(dir, backup); err != nil {
		os.RemoveAll(fresh)
		return nil, fmt.Errorf("repair: back up the store: %w", err)
	}
	if err := os.Rename(fresh, dir); err != nil {
		return nil, fmt.Errorf("repair: the store is backed up at %s but the new one could not take its place: %w", backup, err)
	}
	return &RepairResult{Backup: backup, Kept: kept, Lost: lost}, nil
}

// backupName is a name beside dir that is not taken.
func backupName(dir string) string {
	base := dir + ".backup-" + time.Now().UTC().Format("20060102T150405Z")
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); os.IsNotExist(err) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

// salvage reads the newest version of every key that can be read.
func salvage(dir string) (map[string]kv, []string, error) {
	latest := map[string]kv{}
	add := func(e kv) {
		if bytes.HasPrefix(e.key, internalPrefix) {
			return
		}
		if old, ok := latest[string(e.key)]; !ok || e.version > old.version {
			latest[string(e.key)] = e
		}
	}
	var lost []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		switch {
		case strings.HasSuffix(e.Name(), ".sst"):
			if msg := salvageTable(path, add); msg != "" {
				lost = append(lost, e.Name()+": "+msg)
			}
		case strings.HasSuffix(e.Name(), ".mem"):
			c, err := readLog(path)
			if err != nil {
				lost = append(lost, fmt.Sprintf("%s: cannot be read: %v", e.Name(), err))
				continue
			}
			for _, x := range c.committed {
				add(x)
			}
			if !c.clean {
				lost = append(lost, fmt.Sprintf("%s: everything after byte %d", e.Name(), c.stop))
			}
		}
	}
	return latest, lost, nil
}

// salvageTable reads a table's entries as far as its blocks verify; it
// returns what was lost, or "".
func salvageTable(path string, add func(kv)) string {
	var lost string
	err := withMappedTable(path, func(mf *z.MmapFile) error {
		lost = salvageMapped(mf, add)
		return nil
	})
	switch {
	case errors.Is(err, errUnreadableIndex):
		return "its index cannot be read: all of it"
	case err != nil:
		return "cannot be read"
	}
	return lost
}

// salvageMapped reads what it can of a mapped table, trying each
// compression Badger writes: the MANIFEST that says how a table is
// compressed may be the damaged file (the wrong one reads no block).
func salvageMapped(mf *z.MmapFile, add func(kv)) (lost string) {
	opts := table.Options{BlockSize: options("").BlockSize, ChkMode: bopts.OnBlockRead}
	for _, c := range []bopts.CompressionType{bopts.Snappy, bopts.None, bopts.ZSTD} {
		opts.Compression = c
		t, err := table.OpenTable(mf, opts)
		if err != nil {
			if !stillOpen(mf) {
				return "its index fails its checksum: all of it"
			}
			continue
		}
		n := readTable(t, add)
		if n > 0 || t.KeyCount() == 0 {
			if n < int(t.KeyCount()) {
				return fmt.Sprintf("%d of its %d entries (a block fails its checksum)", int(t.KeyCount())-n, t.KeyCount())
			}
			return ""
		}
	}
	return "no block could be read: all of it"
}

// readTable passes every entry of t that reads to add and counts them.
func readTable(t *table.Table, add func(kv)) int {
	n := 0
	it := t.NewIterator(0)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		v := it.ValueCopy()
		k := it.Key()
		add(kv{key: append([]byte(nil), k[:len(k)-8]...), version: y.ParseTs(k), meta: v.Meta,
			userMeta: v.UserMeta, expiresAt: v.ExpiresAt, value: v.Value})
		n++
	}
	return n
}

// writeFresh creates a store at dir holding the live records of latest.
func writeFresh(dir string, latest map[string]kv) (int, error) {
	db, err := openDB(options(dir))
	if err != nil {
		return 0, err
	}
	keys := make([]string, 0, len(latest))
	for k, e := range latest {
		if e.meta&bitDelete == 0 && (e.expiresAt == 0 || e.expiresAt > uint64(time.Now().Unix())) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	wb := db.NewWriteBatch()
	kept := 0
	for _, k := range keys {
		e := latest[k]
		if e.meta&bitValuePtr != 0 {
			continue // values this large are not written by fs
		}
		if err := wb.SetEntry(badgerdb.NewEntry([]byte(k), e.value).WithMeta(e.userMeta)); err != nil {
			wb.Cancel()
			db.Close()
			return 0, err
		}
		kept++
	}
	if err := wb.Flush(); err != nil {
		db.Close()
		return 0, err
	}
	return kept, db.Close()
}

// copyTree copies a directory tree (absent: nothing to copy).
func copyTree(from, to string) error {
	return filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if os.IsNotExist(err) && p == from {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		return copyFile(p, filepath.Join(to, rel))
	})
}
