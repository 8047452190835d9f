package badger

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	badgerdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/fs-dev/fs/featurestore"
)

// open checks the store's files, then opens it. A reader never writes the
// store: when opening it would (a killed writer's log to replay, its
// orphan tables to delete) the reader opens a scratch copy instead.
func open(dir string, readOnly bool) (*Store, error) {
	st := inspect(dir, false)
	if len(st.damage) > 0 {
		return nil, damagedError(dir, st.damage)
	}
	if readOnly && st.dirty() {
		return openView(dir)
	}
	if !readOnly {
		if err := checkFreeSpace(dir, "the store"); err != nil {
			return nil, err
		}
	}
	db, err := openDB(options(dir).WithReadOnly(readOnly))
	if readOnly && err != nil && !isLocked(err) {
		return openView(dir)
	}
	if err != nil {
		return nil, openError(dir, err)
	}
	if !readOnly && st.newlyVerified {
		// Only a writer, holding the store, records what it verified.
		if err := writeVerified(dir, st.verified); err != nil {
			db.Close()
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	return &Store{db: db, dir: dir, readOnly: readOnly}, nil
}

// openDB opens Badger. A writer killed right after creating a value log
// file leaves it empty: Badger's open fills in the file's header and then
// reports the empty file as an error (z.NewFile, flattened to text); the
// second open finds the file whole.
func openDB(opts badgerdb.Options) (*badgerdb.DB, error) {
	db, err := badgerdb.Open(opts)
	if !opts.ReadOnly && err != nil && strings.HasSuffix(err.Error(), z.NewFile.Error()) {
		db, err = badgerdb.Open(opts)
	}
	return db, err
}

func openError(dir string, err error) error {
	if isLocked(err) {
		msg, hint := lockedBy(dir)
		return &featurestore.Error{Code: featurestore.ELOCKED, Message: msg, Hint: hint}
	}
	if strings.Contains(err.Error(), "Encryption key mismatch") {
		return damagedError(dir, []Damage{{keyRegistryFile, "is damaged"}})
	}
	return &featurestore.Error{Code: featurestore.EDAMAGED, Message: fmt.Sprintf("open store %s", dir), Err: err,
		Hint: "nothing was changed; run fs doctor to check the store"}
}

// isLocked reports whether a Badger open failed on the directory lock
// (Badger does not wrap that error, so its text is all there is).
func isLocked(err error) bool {
	return strings.Contains(err.Error(), "Cannot acquire directory lock") ||
		strings.Contains(err.Error(), "resource temporarily unavailable")
}

// view is a reader's scratch copy of a store, and the shared lock it holds
// on the store itself so that no writer starts while it reads.
type view struct {
	dir  string
	lock *os.File
}

func (v *view) release() {
	os.RemoveAll(v.dir)
	v.lock.Close() // releases the flock
}

// openView copies the store's database files to a scratch directory
// (table files, which Badger never changes, are linked where it can) and
// opens the copy for writing, which replays the logs there.
func openView(dir string) (*Store, error) {
	lock, err := lockShared(dir)
	if err != nil {
		return nil, openError(dir, err)
	}
	if err := checkFreeSpace(os.TempDir(), "the temporary directory"); err != nil {
		lock.Close()
		return nil, err
	}
	scratch, err := os.MkdirTemp("", "fs-store-view-")
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open store %s: scratch copy: %w", dir, err)
	}
	v := &view{dir: scratch, lock: lock}
	if err := copyDBFiles(dir, scratch); err != nil {
		v.release()
		return nil, fmt.Errorf("open store %s: scratch copy: %w", dir, err)
	}
	db, err := openDB(options(scratch).WithNumCompactors(0))
	if err != nil {
		v.release()
		return nil, openError(dir, err)
	}
	return &Store{db: db, dir: dir, readOnly: true, scratch: v}, nil
}

// lockShared takes the lock Badger's readers take (flock on the
// directory), so that a writer cannot start while the view is open.
func lockShared(dir string) (*os.File, error) { return lockDir(dir, false) }

// lockExclusive takes the lock Badger's writer takes.
func lockExclusive(dir string) (*os.File, error) { return lockDir(dir, true) }

// lockDir flocks the directory without waiting; closing the file releases
// the lock. The error reads as Badger's, so isLocked knows it.
func lockDir(dir string, exclusive bool) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := flock(f, exclusive); err != nil {
		f.Close()
		return nil, fmt.Errorf("Cannot acquire directory lock on %q: %w", dir, err)
	}
	return f, nil
}

// copyDBFiles copies the regular files of a store directory (not its
// models, not Badger's pid file).
func copyDBFiles(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == "LOCK" {
			continue
		}
		src, dst := filepath.Join(from, e.Name()), filepath.Join(to, e.Name())
		if strings.HasSuffix(e.Name(), ".sst") && os.Link(src, dst) == nil {
			continue
		}
		copy := copyFile
		if strings.HasSuffix(e.Name(), ".mem") {
			copy = copySparse
		}
		if err := copy(src, dst); err != nil {
			return err
		}
	}
	return nil
}

// copySparse copies a write-ahead log up to its last byte that is not
// zero, and gives the copy the same size: the zeros Badger preallocates
// are not written.
func copySparse(src, dst string) error {
	b, err := readWritten(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b[:lastNonZero(b)+1], 0o600); err != nil {
		return err
	}
	return os.Truncate(dst, fi.Size())
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncLockFile serialises pushes to MLflow: a push talks to the network
// without holding the store, and two at once could create a run twice.
const syncLockFile = "sync.lock"

// LockSync takes the store's sync lock without waiting; ELOCKED when
// another fs process is pushing runs. Close the file to release it.
func LockSync(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, syncLockFile), os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sync lock: %w", err)
	}
	if err := flock(f, true); err != nil {
		f.Close()
		return nil, featurestore.Errorf(featurestore.ELOCKED, "another fs process is pushing runs of the store at %s to MLflow", dir).
			WithHint("wait for it to finish; runs it does not push stay pending for fs sync")
	}
	return f, nil
}

// MinFreeBytes is the free space fs wants on a disk before Badger writes
// there. Badger writes through memory-mapped files: on a full disk the
// kernel answers with SIGBUS, which no program can turn into an error, so
// the store would crash mid-write instead of failing cleanly.
const MinFreeBytes = 128 << 20

// checkFreeSpace refuses to write to dir's disk when it has less than
// MinFreeBytes free.
func checkFreeSpace(dir, what string) error {
	free, ok := freeBytes(dir)
	if !ok {
		return nil // a file system that cannot say: let Badger try
	}
	if free < MinFreeBytes {
		return featurestore.Errorf(featurestore.EINVALID, "the disk holding %s (%s) has %.1f MiB free; fs needs %d MiB free to write safely",
			what, dir, float64(free)/(1<<20), MinFreeBytes>>20).
			WithHint("nothing was changed; free some space, or use a store on a disk with room (--store)")
	}
	return nil
}
