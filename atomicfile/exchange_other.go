//go:build !linux

package atomicfile

import (
	"os"
	"path/filepath"
)

// exchange swaps two directories in three renames where the system has no
// atomic exchange: a kill between them leaves the old directory beside b
// (under a temporary name CleanStale removes) and nothing at b.
func exchange(a, b string) error {
	old := filepath.Join(filepath.Dir(b), "."+filepath.Base(b)+".tmp-old")
	os.RemoveAll(old)
	if err := os.Rename(b, old); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(old, b)
		return err
	}
	return os.Rename(old, a)
}
