package atomicfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback starts writing n bytes of f at off to disk without
// waiting (sync_file_range SYNC_FILE_RANGE_WRITE). The sync before the
// rename is what makes them durable, and finds less left to write; an
// error here is that sync's to report.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
