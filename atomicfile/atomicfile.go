package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Perm is the mode of the files written for people (datasets, reports,
// predictions): readable by all, as a file a person saves.
const Perm os.FileMode = 0o644

// File is a file being written: a locked temporary file beside Path.
type File struct {
	*os.File
	Path    string // the destination
	done    bool
	written int64 // bytes written
	flushed int64 // bytes whose writing to disk was started
}

// flushEvery is how many written bytes start their writing to disk
// (where the system can be asked to), so that Commit's sync waits for the
// last of them only: on a 56 MiB dataset, a sync of 31 ms.
const flushEvery = 8 << 20

// Write writes p to the file.
func (f *File) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.written += int64(n)
	if f.written-f.flushed >= flushEvery {
		startWriteback(f.File, f.flushed, f.written-f.flushed)
		f.flushed = f.written
	}
	return n, err
}

// TempPattern is the name pattern of the temporary files for path.
func TempPattern(path string) string { return "." + filepath.Base(path) + ".tmp*" }

// Create starts writing path. Call Commit to put it in place, or Abort.
func Create(path string) (*File, error) {
	CleanStale(path)
	f, err := os.CreateTemp(filepath.Dir(path), TempPattern(path))
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	if err := f.Chmod(Perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, Path: path}, nil
}

// Commit syncs the file, renames it to Path and syncs the directory.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("%s: already committed or aborted", f.Path)
	}
	f.done = true
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), f.Path); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	syncDir(filepath.Dir(f.Path))
	return f.Close() // releases the lock
}

// Abort removes the temporary file; after Commit it does nothing.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	os.Remove(f.Name())
	f.Close()
}

// Write writes data to path atomically.
func Write(path string, data []byte) error {
	return WriteWith(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// WriteWith writes path atomically with fill.
func WriteWith(path string, fill func(*os.File) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if err := fill(f.File); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// TempDir creates a directory in dir (os.MkdirTemp with pattern) and holds
// it locked until release, which also removes it: RemoveStaleDirs can then
// tell it from one a killed process left.
func TempDir(dir, pattern string) (string, func(), error) {
	path, err := os.MkdirTemp(dir, pattern)
	if err != nil {
		return "", nil, err
	}
	lock, err := os.Open(path)
	if err == nil {
		err = tryLock(lock)
	}
	if err != nil {
		os.RemoveAll(path)
		return "", nil, err
	}
	return path, func() {
		os.RemoveAll(path)
		lock.Close()
	}, nil
}

// RemoveStaleDirs removes the directories in dir matching pattern that no
// live process holds locked: those TempDir made for processes that were
// killed. Where locks are not real (no flock) it removes nothing.
func RemoveStaleDirs(dir, pattern string) {
	names, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			continue
		}
		if st, err := f.Stat(); err == nil && st.IsDir() && tryLock(f) == nil && lockIsReal {
			os.RemoveAll(n)
		}
		f.Close()
	}
}

// CleanStale removes the temporary files that killed writers of path left
// (those no live process holds locked).
func CleanStale(path string) {
	names, _ := filepath.Glob(filepath.Join(filepath.Dir(path), TempPattern(path)))
	for _, n := range names {
		if !strings.Contains(filepath.Base(n), ".tmp") {
			continue
		}
		f, err := os.Open(n)
		if err != nil {
			continue
		}
		if tryLock(f) == nil && lockIsReal {
			os.RemoveAll(n)
		}
		f.Close()
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// WriteDir writes the directory path atomically: fill writes into a
// temporary directory beside it, which then takes path's place (on Linux
// an existing directory is swapped out in one step, then removed).
func WriteDir(path string, fill func(dir string) error) error {
	CleanStale(path)
	tmp, err := os.MkdirTemp(filepath.Dir(path), TempPattern(path))
	if err != nil {
		return err
	}
	lock, err := os.Open(tmp)
	if err == nil {
		err = tryLock(lock)
		defer lock.Close()
	}
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err == nil {
		err = fill(tmp)
	}
	if err == nil {
		err = swapInto(tmp, path)
	}
	os.RemoveAll(tmp) // the old directory after a swap; the unfinished one after a failure
	if err == nil {
		syncDir(filepath.Dir(path))
	}
	return err
}

// swapInto puts dir at path: a rename when path is free, else an exchange
// (the old directory is left at dir).
func swapInto(dir, path string) error {
	err := os.Rename(dir, path)
	if err == nil || !(os.IsExist(err) || isNotEmpty(err)) {
		return err
	}
	return exchange(dir, path)
}

func isNotEmpty(err error) bool {
	le, ok := err.(*os.LinkError)
	return ok && (errors.Is(le.Err, fs.ErrExist) || isENOTEMPTY(le.Err))
}

// Earlier is a hard link to the file a write is about to replace, so that
// it can be put back if what follows the write fails.
type Earlier struct{ path, link string }

// KeepEarlier links the file at path (if any) to a temporary name beside
// it; a killed process leaves the link for CleanStale.
func KeepEarlier(path string) *Earlier {
	e := &Earlier{path: path}
	if _, err := os.Lstat(path); err != nil {
		return e
	}
	for i := 0; i < 100; i++ {
		link := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.tmp-earlier-%d-%d", filepath.Base(path), os.Getpid(), i))
		if os.Link(path, link) == nil {
			e.link = link
			break
		}
	}
	return e
}

// Restore puts the earlier file back at path, or removes the new file
// when there was none.
func (e *Earlier) Restore() {
	if e.link == "" {
		os.Remove(e.path)
		return
	}
	os.Rename(e.link, e.path)
}

// Drop forgets the earlier file.
func (e *Earlier) Drop() {
	if e.link != "" {
		os.Remove(e.link)
	}
}
