package badger

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fs-dev/fs/atomicfile"
)

// serverMark, in the store directory, says that an fs server holds the
// store and where it answers, so that a command refused the store can say
// which process holds it and how to reach it instead.
const serverMark = "fs-serve.json"

// Serving is what the server mark holds.
type Serving struct {
	URL string `json:"url"`
	PID int    `json:"pid"`
}

// MarkServing records that this process serves the store at dir at url;
// Unmark removes the record.
func MarkServing(dir, url string) error {
	b, _ := json.Marshal(Serving{URL: url, PID: os.Getpid()})
	return atomicfile.Write(filepath.Join(dir, serverMark), b)
}

// Unmark removes the server mark of dir.
func Unmark(dir string) { os.Remove(filepath.Join(dir, serverMark)) }

// servedBy is the server that marked dir, if any (a mark a killed server
// left names no live process: it is ignored).
func servedBy(dir string) (Serving, bool) {
	b, err := os.ReadFile(filepath.Join(dir, serverMark))
	var s Serving
	if err != nil || json.Unmarshal(b, &s) != nil || s.URL == "" || !processAlive(s.PID) {
		return Serving{}, false
	}
	return s, true
}

// lockedBy describes who holds a locked store, with what to do.
func lockedBy(dir string) (message, hint string) {
	if s, ok := servedBy(dir); ok {
		return fmt.Sprintf("the store at %s is held by an fs server (fs serve, process %d) at %s", dir, s.PID, s.URL),
			fmt.Sprintf("run the command through it: FS_STORE=%s fs ... (or stop the server)", s.URL)
	}
	return fmt.Sprintf("the store at %s is in use by another fs process", dir),
		"wait for the other fs command to finish, then run this one again"
}
