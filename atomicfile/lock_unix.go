//go:build unix

package atomicfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockIsReal: flock works here, so an unlocked temporary file is a dead
// writer's.
const lockIsReal = true

// tryLock takes an exclusive lock on f without waiting.
func tryLock(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) }

func isENOTEMPTY(err error) bool { return errors.Is(err, unix.ENOTEMPTY) }
