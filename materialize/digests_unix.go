//go:build linux || darwin || freebsd || netbsd || openbsd

package materialize

import (
	"os"
	"syscall"
)

// fileStat is what says a file is unchanged: size, modification and
// change times, inode.
func fileStat(fi os.FileInfo) digestEntry {
	e := digestEntry{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.Inode = uint64(st.Ino)
		e.CTime = ctime(st)
	}
	return e
}
