package main

import "github.com/fs-dev/fs/featurestore/badger"

// openStore opens the store; commands that only read open it read-only so
// they can run beside other readers.
func (a *app) openStore(readOnly bool) (*badger.Store, error) {
	return badger.Open(a.storeDir(), readOnly)
}
