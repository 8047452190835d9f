package badger

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	badgerdb "github.com/dgraph-io/badger/v4"
	bopts "github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/fs-dev/fs/featurestore"
)

// Damage is one problem found in a store's files: the file (relative to
// the store directory) and what is wrong with it.
type Damage struct {
	File    string `json:"file"`
	Problem string `json:"problem"`
}

func (d Damage) String() string { return d.File + ": " + d.Problem }

// fileState is what a store's files say before Badger opens them.
type fileState struct {
	damage  []Damage
	orphans []string // table files the MANIFEST does not name (a killed writer's)
	logs    []string // write-ahead logs (.mem) a killed writer left to replay
	// verified maps the tables whose every block passed its checksum to
	// their stamps; newlyVerified says the map gained one.
	verified      map[string]string
	newlyVerified bool
}

// dirty reports whether opening the store would change its files: Badger
// replays write-ahead logs and deletes orphan tables on open.
func (f fileState) dirty() bool { return len(f.orphans) > 0 || len(f.logs) > 0 }

// Badger's files that fs checks by name.
const (
	manifestFile    = "MANIFEST"
	keyRegistryFile = "KEYREGISTRY"
)

// inspect reads the MANIFEST and every table file it names, so that a
// damaged store is refused before Badger opens it: Badger would delete the
// tables a truncated MANIFEST no longer names, panics on a truncated table,
// and its iterators stop without an error at a block that fails its
// checksum (a silently short answer). Every table's blocks are verified
// once: tables listed in the verified file with the same size and
// modification time get only their index checked, unless all is set.
func inspect(dir string, all bool) fileState {
	st := fileState{verified: readVerified(dir)}
	mf, damage := readManifest(dir)
	if damage != nil {
		st.damage = append(st.damage, *damage)
		return st
	}
	onDisk, logs := storeFiles(dir)
	st.logs = logs
	for _, l := range logs {
		switch c, err := readLog(filepath.Join(dir, l)); {
		case err != nil:
			st.damage = append(st.damage, Damage{l, fmt.Sprintf("cannot be read: %v", err)})
		case !c.clean:
			st.damage = append(st.damage, Damage{l, fmt.Sprintf("is damaged at byte %d: committed data follows what can be read", c.stop)})
		}
	}
	ids := make([]uint64, 0, len(mf.Tables))
	for id := range mf.Tables {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		name := tableName(id)
		if !onDisk[name] {
			st.damage = append(st.damage, Damage{name, "missing (the MANIFEST names it)"})
			continue
		}
		stamp := tableStamp(filepath.Join(dir, name))
		deep := all || st.verified[name] != stamp
		if err := checkTable(filepath.Join(dir, name), mf.Tables[id].Compression, deep); err != nil {
			st.damage = append(st.damage, Damage{name, err.Error()})
			delete(st.verified, name)
		} else if deep {
			st.verified[name] = stamp
			st.newlyVerified = true
		}
		delete(onDisk, name)
	}
	for name := range st.verified {
		if _, ok := mf.Tables[tableID(name)]; !ok {
			delete(st.verified, name) // compacted away
		}
	}
	for name := range onDisk {
		st.orphans = append(st.orphans, name)
	}
	sort.Strings(st.orphans)
	return st
}

func tableName(id uint64) string { return fmt.Sprintf("%06d.sst", id) }

func tableID(name string) uint64 {
	var id uint64
	fmt.Sscanf(name, "%06d.sst", &id)
	return id
}

// readManifest replays the MANIFEST as Badger does, and calls it damaged
// where Badger would fail or would cut it short.
func readManifest(dir string) (badgerdb.Manifest, *Damage) {
	f, err := os.Open(filepath.Join(dir, manifestFile))
	if err != nil {
		return badgerdb.Manifest{}, &Damage{manifestFile, fmt.Sprintf("cannot be read: %v", err)}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return badgerdb.Manifest{}, &Damage{manifestFile, fmt.Sprintf("cannot be read: %v", err)}
	}
	mf, end, err := badgerdb.ReplayManifestFile(f, 0, options(dir))
	if err != nil {
		return mf, &Damage{manifestFile, oneLineError(err)}
	}
	if end != fi.Size() {
		return mf, &Damage{manifestFile, fmt.Sprintf("ends in an incomplete entry (%d of %d bytes readable)", end, fi.Size())}
	}
	return mf, nil
}

// storeFiles lists the table files (as a set) and write-ahead logs in dir.
func storeFiles(dir string) (tables map[string]bool, logs []string) {
	tables = map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		switch {
		case !e.Type().IsRegular():
		case strings.HasSuffix(e.Name(), ".sst"):
			tables[e.Name()] = true
		case strings.HasSuffix(e.Name(), ".mem"):
			logs = append(logs, e.Name())
		}
	}
	return tables, logs
}

// checkTable opens a table file read-only as Badger would, turning its
// panics on a damaged file into an error.
func checkTable(path string, compression bopts.CompressionType, deep bool) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot be read: %v", err)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("is empty")
	}
	mode := bopts.NoVerification
	if deep {
		mode = bopts.OnTableRead
	}
	opts := table.Options{BlockSize: options(filepath.Dir(path)).BlockSize, Compression: compression, ChkMode: mode}
	return withMappedTable(path, func(mf *z.MmapFile) error {
		// Never DecrRef the table: at zero references Badger deletes its file.
		if _, err := table.OpenTable(mf, opts); err != nil {
			return tableError(err)
		}
		return nil
	})
}

// errUnreadableIndex is what withMappedTable returns when Badger panics
// reading a table's index.
var errUnreadableIndex = errors.New("is damaged: its index cannot be read")

// withMappedTable maps the table file at path read-only for fn and unmaps
// it after, whatever fn did to it: OpenTable closes the file (unmapping it
// first) on some of its errors and panics on some damaged indexes, which
// come back as errUnreadableIndex.
func withMappedTable(path string, fn func(*z.MmapFile) error) (err error) {
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("cannot be read: %v", err)
	}
	defer func() {
		if stillOpen(mf) {
			z.Munmap(mf.Data)
			mf.Fd.Close()
		}
		if r := recover(); r != nil {
			err = errUnreadableIndex
		}
	}()
	return fn(mf)
}

// stillOpen says whether OpenTable left mf open (and so still mapped).
func stillOpen(mf *z.MmapFile) bool {
	_, err := mf.Fd.Stat()
	return err == nil
}

var blockRe = regexp.MustCompile(`block: (\d+)`)

// tableError says in a few words what Badger found wrong with a table.
func tableError(err error) error {
	msg := oneLineError(err)
	switch m := blockRe.FindStringSubmatch(msg); {
	case strings.Contains(msg, "failed to read index"):
		return fmt.Errorf("is damaged: its index fails its checksum")
	case m != nil:
		return fmt.Errorf("is damaged: block %s fails its checksum", m[1])
	}
	return fmt.Errorf("is damaged (%s)", msg)
}

func oneLineError(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// damagedError is what every command says of a store whose files are
// damaged.
func damagedError(dir string, damage []Damage) error {
	e := featurestore.Errorf(featurestore.EDAMAGED, "the store at %s is damaged: %s", dir, damage[0])
	for _, d := range damage[1:] {
		e.Detail = append(e.Detail, "  also "+d.String())
	}
	return e.WithHint("nothing was changed; run fs doctor to check the store, and fs doctor --repair to back it up and keep what can be read")
}
