package reproduce

import (
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/fs-dev/fs/featurestore"
)

// relocate finds a source's files under root by their content when its
// recorded path is gone: a single file anywhere, or files that are all in
// one directory. It returns the path to use and the snapshot with the
// files' new paths.
func relocate(root string, s featurestore.SourceSnapshot) (string, featurestore.SourceSnapshot, bool) {
	if len(s.Files) == 0 {
		return "", s, false
	}
	c := listCandidates(root)
	files := make([]featurestore.FileSnapshot, len(s.Files))
	dir := ""
	for i, f := range s.Files {
		at := c.find(f.Path, f.SHA256)
		if at == "" || (dir != "" && filepath.Dir(at) != dir) {
			return "", s, false
		}
		dir = filepath.Dir(at)
		f.Path = at
		files[i] = f
	}
	path := dir
	if len(files) == 1 {
		path = files[0].Path
	}
	s.Path, s.Files = path, files
	return path, s, true
}

// maxHashed bounds the files one search hashes.
const maxHashed = 200

// projectRoot is the project directory of a store that can say (an
// optional capability, as database/sql detects them).
func projectRoot(reg any) string {
	if r, ok := reg.(interface{ Root() string }); ok {
		return r.Root()
	}
	return ""
}

// candidates are the regular files under a project root, by name and by
// extension, in walk order; hidden directories (the store) are skipped.
type candidates struct {
	byName, byExt map[string][]string
}

func listCandidates(root string) candidates {
	c := candidates{byName: map[string][]string{}, byExt: map[string][]string{}}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			c.byName[d.Name()] = append(c.byName[d.Name()], p)
			c.byExt[filepath.Ext(p)] = append(c.byExt[filepath.Ext(p)], p)
		}
		return nil
	})
	return c
}

// find returns the candidate with the given SHA-256, trying files named as
// the recorded one first, then files of its extension; it hashes at most
// maxHashed files and returns "" when none matches.
func (c candidates) find(recorded, digest string) string {
	base, ext := filepath.Base(recorded), filepath.Ext(recorded)
	try := append([]string(nil), c.byName[base]...)
	if ext != "" {
		for _, p := range c.byExt[ext] {
			if filepath.Base(p) != base {
				try = append(try, p)
			}
		}
	}
	for i, p := range try {
		if i == maxHashed {
			break
		}
		if sum, err := fileSHA(p); err == nil && sum == digest {
			return p
		}
	}
	return ""
}

// findByDigest looks under root for a file with the given SHA-256 (see
// candidates.find).
func findByDigest(root, recorded, digest string) string {
	return listCandidates(root).find(recorded, digest)
}
