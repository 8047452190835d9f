//go:build linux || darwin || freebsd || netbsd || openbsd

package filestat

import (
	"os"
	"syscall"
)

func sys(fi os.FileInfo) (inode uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino), ctimeOf(st)
	}
	return 0, 0
}
