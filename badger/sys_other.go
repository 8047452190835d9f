//go:build !unix

package badger

import "os"

// flock is a no-op where there is no flock: Badger's own lock still keeps
// one writer.
func flock(f *os.File, exclusive bool) error { return nil }

// freeBytes cannot say here.
func freeBytes(dir string) (int64, bool) { return 0, false }

// lastExtentEnd cannot say here: the whole file is read.
func lastExtentEnd(f *os.File, size int64) (int64, bool) { return size, false }

// processAlive reports whether a process of that id runs: assumed where
// fs cannot tell.
func processAlive(pid int) bool { return pid > 0 }
