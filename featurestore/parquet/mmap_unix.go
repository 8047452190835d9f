//go:build unix

package parquet

import (
	"math"
	"os"
	"syscall"
)

// mapFile maps a local file's size bytes for reading, or gives nil when it
// cannot (the reader then copies pages with ReadAt).
func mapFile(f *os.File, size int64) []byte {
	if size <= 0 || size > math.MaxInt {
		return nil
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return m
}

func unmapFile(m []byte) {
	if m != nil {
		syscall.Munmap(m)
	}
}
