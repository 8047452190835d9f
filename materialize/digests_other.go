//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package materialize

import "os"

// fileStat is what says a file is unchanged where there are no inodes or
// change times: size and modification time.
func fileStat(fi os.FileInfo) digestEntry {
	return digestEntry{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
}
