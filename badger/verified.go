package badger

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fs-dev/fs/atomicfile"
)

// verifiedFile lists, in the store directory, the table files whose every
// block passed its checksum, each with its stamp (size and modification
// time). Badger never changes a table file, so a table whose stamp still
// matches needs only its index checked when the store opens; a changed or
// new table is verified again. Writers alone write this file. fs doctor
// verifies every table whatever it says.
const verifiedFile = "fs-verified-tables"

// tableStamp is a table file's size and modification time, or "" when it
// cannot be read.
func tableStamp(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
}

func readVerified(dir string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(filepath.Join(dir, verifiedFile))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, stamp, ok := strings.Cut(sc.Text(), " "); ok && strings.HasSuffix(name, ".sst") {
			out[name] = stamp
		}
	}
	return out
}

// writeVerified replaces the verified file atomically, so that a kill
// leaves the old list or the new one.
func writeVerified(dir string, verified map[string]string) error {
	names := make([]string, 0, len(verified))
	for n := range verified {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s %s\n", n, verified[n])
	}
	return atomicfile.Write(filepath.Join(dir, verifiedFile), []byte(b.String()))
}
