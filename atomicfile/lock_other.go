//go:build !unix

package atomicfile

import "os"

// lockIsReal: without flock a temporary file cannot be told to be a dead
// writer's, so CleanStale leaves them all.
const lockIsReal = false

func tryLock(f *os.File) error { return nil }

func isENOTEMPTY(err error) bool { return false }
