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
	files := make([]featurestore.FileSnapshot, len(s.Files))
	dir := ""
	for i, f := range s.Files {
		at := findByDigest(root, f.Path, f.SHA256)
		if at == "" || (dir != "" && filepath.Dir(at) != dir) {
			return "", s, false
		}
		dir = filepath.Dir(at)
		f.Path = at
		files[i] = f
	}
	if len(files) == 0 {
		return "", s, false
	}
	path := dir
	if len(files) == 1 {
		path = files[0].Path
	}
	s.Path, s.Files = path, files
	return path, s, true
}

// maxHashed bounds the files findByDigest hashes.
const maxHashed = 200

// projectRoot is the project directory of a store that can say (an
// optional capability, as database/sql detects them).
func projectRoot(reg any) string {
	if r, ok := reg.(interface{ Root() string }); ok {
		return r.Root()
	}
	return ""
}

// findByDigest looks under root for a file with the given SHA-256, trying
// files named as the recorded one first, then files of its extension; it
// hashes at most maxHashed files, skips hidden directories (the store), and
// returns "" when none matches.
func findByDigest(root, recorded, digest string) string {
	base, ext := filepath.Base(recorded), filepath.Ext(recorded)
	var sameName, sameExt []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		switch {
		case !d.Type().IsRegular():
		case d.Name() == base:
			sameName = append(sameName, p)
		case ext != "" && filepath.Ext(p) == ext:
			sameExt = append(sameExt, p)
		}
		return nil
	})
	hashed := 0
	for _, p := range append(sameName, sameExt...) {
		if hashed == maxHashed {
			break
		}
		hashed++
		if sum, err := fileSHA(p); err == nil && sum == digest {
			return p
		}
	}
	return ""
}
