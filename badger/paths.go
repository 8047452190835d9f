package badger

import (
	"path/filepath"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/trainer"
)

// Paths inside the project (the directory that holds the store) are
// stored relative to it and read back against wherever the store is now,
// so that a project folder copied or moved elsewhere finds its own files,
// not the original's. Paths outside it stay absolute.

// Root is the project directory (the one holding the store), or "" for a
// store in memory.
func (s *Store) Root() string { return s.root() }

// root is the project directory, or "" for a store in memory.
func (s *Store) root() string { return ProjectRoot(s.dir) }

// ProjectRoot is the project directory of the store at dir: the directory
// holding it ("" for "").
func ProjectRoot(dir string) string {
	if dir == "" {
		return ""
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	return filepath.Dir(abs)
}

// storedPath is p as the store keeps it.
func (s *Store) storedPath(p string) string {
	root := s.root()
	if root == "" || p == "" || !filepath.IsAbs(p) {
		return p
	}
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return rel
}

// loadedPath is a stored path as this store's project sees it.
func (s *Store) loadedPath(p string) string {
	root := s.root()
	if root == "" || p == "" || filepath.IsAbs(p) || featurestore.IsURI(p) {
		return p
	}
	return filepath.Join(root, p)
}

func (s *Store) mapSource(src featurestore.Source, f func(string) string) featurestore.Source {
	src.Path = f(src.Path)
	return src
}

func (s *Store) mapSnapshot(snap featurestore.SourceSnapshot, f func(string) string) featurestore.SourceSnapshot {
	snap.Path = f(snap.Path)
	files := make([]featurestore.FileSnapshot, len(snap.Files))
	for i, fl := range snap.Files {
		fl.Path = f(fl.Path)
		files[i] = fl
	}
	snap.Files = files
	return snap
}

// mapDataset returns a copy of d with its paths mapped by f.
func (s *Store) mapDataset(d featurestore.Dataset, f func(string) string) featurestore.Dataset {
	d.Output = f(d.Output)
	d.Entities.Path = f(d.Entities.Path)
	sources := make([]featurestore.SourceSnapshot, len(d.Sources))
	for i, snap := range d.Sources {
		sources[i] = s.mapSnapshot(snap, f)
	}
	d.Sources = sources
	return d
}

func (s *Store) mapVersion(v featurestore.FeatureVersion, f func(string) string) featurestore.FeatureVersion {
	v.Source = s.mapSource(v.Source, f)
	return v
}

// mapRun returns a copy of r with its dataset's path mapped by f.
func (s *Store) mapRun(r trainer.Run, f func(string) string) trainer.Run {
	r.Dataset.Path = f(r.Dataset.Path)
	return r
}
