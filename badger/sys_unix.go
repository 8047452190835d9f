//go:build unix

package badger

import (
	"os"

	"golang.org/x/sys/unix"
)

// flock locks f (a directory or a file) without waiting, as Badger locks
// its directory: shared for readers, exclusive for a writer.
func flock(f *os.File, exclusive bool) error {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	return unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
}

// freeBytes is the space left to an unprivileged writer on dir's disk.
func freeBytes(dir string) (int64, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}

// lastExtentEnd is where f's last extent holding data ends (SEEK_DATA and
// SEEK_HOLE), so that reading a sparse file skips its holes.
func lastExtentEnd(f *os.File, size int64) (int64, bool) {
	fd := int(f.Fd())
	end, off := int64(0), int64(0)
	for off < size {
		d, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break
		}
		if err != nil {
			return 0, false
		}
		h, err := unix.Seek(fd, d, unix.SEEK_HOLE)
		if err != nil {
			return 0, false
		}
		end, off = h, h
	}
	return end, true
}

// processAlive reports whether a process of that id runs.
func processAlive(pid int) bool {
	return pid > 0 && (unix.Kill(pid, 0) == nil || unix.Kill(pid, 0) == unix.EPERM)
}
