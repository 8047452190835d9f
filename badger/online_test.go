package badger_test

import (
	"path/filepath"
	"testing"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/online"
	"github.com/fs-dev/fs/online/onlinetest"
)

// TestOnlineContract: the online store contract on Badger; reopening
// stands for the process killed and started again.
func TestOnlineContract(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "online")
	open := func(t *testing.T) online.Store {
		s, err := badger.OpenOnline(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	onlinetest.Run(t, onlinetest.Opener{
		Open:   open,
		Reopen: func(t *testing.T, s online.Store) online.Store { s.Close(); return open(t) },
	})
}
