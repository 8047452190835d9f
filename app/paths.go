package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
)

// Roots are the directories a server may read and write files in.
type Roots []string

// EFORBIDDEN is the error code of a request the caller may not make: a
// path outside the data roots, a write with a read token.
const EFORBIDDEN = "forbidden"

// NewRoots resolves each directory to an absolute path without symbolic
// links; each must exist. A root may also be a bucket or a prefix in one
// (s3://bucket/team/), which the server reads and writes with its own
// credentials.
func NewRoots(dirs []string) (Roots, error) {
	out := Roots{}
	for _, d := range dirs {
		if featurestore.IsURI(d) {
			root, err := bucketRoot(d)
			if err != nil {
				return nil, err
			}
			out = append(out, root)
			continue
		}
		abs, err := filepath.Abs(d)
		if err == nil {
			abs, err = filepath.EvalSymlinks(abs)
		}
		if err == nil {
			var fi os.FileInfo
			if fi, err = os.Stat(abs); err == nil && !fi.IsDir() {
				err = fmt.Errorf("not a directory")
			}
		}
		if err != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "data root %s: %v", d, err).
				WithHint("give an existing directory the server may read")
		}
		out = append(out, abs)
	}
	return out, nil
}

// bucketRoot is a data root in a bucket, as blob.Split cleans it; a
// scheme fs does not read itself is refused.
func bucketRoot(uri string) (string, error) {
	scheme, bucket, key, ok := blob.Split(uri)
	if !ok || !blob.Handles(uri) {
		return "", featurestore.Errorf(featurestore.EINVALID, "data root %s: not a bucket fs reads", uri).
			WithHint("give a directory, or a bucket prefix such as s3://BUCKET/team/")
	}
	if key != "" && !strings.HasSuffix(key, "/") {
		key += "/"
	}
	return blob.Join(scheme, bucket, key), nil
}

// Check refuses a path outside the roots, naming the field. The path is
// what the server will open: an object in a bucket must lie under a root
// in that bucket (blob.Within: no ".." element); another URI is refused
// (it would be opened as a local file named like one), and so is a ".."
// element (the kernel resolves it after links, the check before); links
// are resolved before the path is compared with the roots. The answer
// never depends on whether a file outside the roots exists. Nil roots
// allow any path.
func (r Roots) Check(field, path string) error {
	if r == nil || path == "" {
		return nil
	}
	if featurestore.IsURI(path) {
		return r.checkObject(field, path)
	}
	if hasDotDot(path) {
		return featurestore.Errorf(EFORBIDDEN, "%s: %s has a .. element", field, path).
			WithHint("give the path without .. (the command line sends absolute, cleaned paths)")
	}
	if r.contains(resolvedPath(path)) {
		return nil
	}
	return outsideRoots(field, path)
}

// checkObject allows an object under a bucket root.
func (r Roots) checkObject(field, uri string) error {
	if blob.Handles(uri) {
		for _, root := range r {
			if featurestore.IsURI(root) && blob.Within(uri, root) {
				return nil
			}
		}
		return outsideRoots(field, uri)
	}
	return featurestore.Errorf(EFORBIDDEN, "%s: %s is a URI this fs server does not open", field, uri).
		WithHint("give a path under the server's data roots (a source's path may also be a URI Spark reads)")
}

func outsideRoots(field, path string) error {
	return featurestore.Errorf(EFORBIDDEN, "%s: %s is outside the server's data roots", field, path).
		WithHint("the server reads and writes only under its data roots (fs serve --data-root); ask its operator, or copy the file there")
}

// CheckSource is Check for a source's path, which may also be a URI that
// only Spark reads (the server never opens it itself). An object in a
// bucket the server reads itself must lie under a bucket root.
func (r Roots) CheckSource(field, path string) error {
	if ref, err := featurestore.ParseTableRef(path); err == nil {
		return r.checkCatalog(field, ref.Catalog)
	}
	if materialize.NeedsEngine(path) && !strings.HasPrefix(strings.ToLower(path), "file:") {
		return nil
	}
	return r.Check(field, path)
}

// checkCatalog allows a table's catalog when its database lies under the
// roots: a server opens no catalog elsewhere, and calls no REST catalog a
// client names (the table's data files are checked as any source's).
func (r Roots) checkCatalog(field string, c featurestore.Catalog) error {
	if r == nil {
		return nil
	}
	if db, ok := c.File(); ok {
		return r.Check(field+" (the catalog's database)", db)
	}
	return featurestore.Errorf(EFORBIDDEN, "%s: catalog %s is a %s catalog at %s; this fs server reads only catalogs kept under its data roots",
		field, c.Name, c.Type, c.URI).WithHint("register this source with fs on your machine, or keep the catalog in a SQLite file under the server's data roots")
}

// CheckFiles checks every file a directory or glob expanded to: a link
// inside a root may point outside it.
func (r Roots) CheckFiles(field string, files []string) error {
	for _, f := range files {
		if err := r.Check(field, f); err != nil {
			return err
		}
	}
	return nil
}

func (r Roots) contains(abs string) bool {
	for _, root := range r {
		if !featurestore.IsURI(root) && within(abs, root) {
			return true
		}
	}
	return false
}

// hasDotDot reports whether path has a ".." element.
func hasDotDot(path string) bool {
	return slices.Contains(strings.FieldsFunc(path, func(c rune) bool { return c == '/' || c == filepath.Separator }), "..")
}

// resolvedPath is path made absolute with its links resolved: all of
// them when it exists, else its directory's.
func resolvedPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if real, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(real, filepath.Base(abs))
	}
	return abs
}

// within reports whether the absolute path abs is dir or lies inside it.
func within(abs, dir string) bool {
	rel, err := filepath.Rel(dir, abs)
	return err == nil && rel != ".." && !filepath.IsAbs(rel) && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Protected is a file or directory requests may not name, with what it
// is, for the message.
type Protected struct {
	Path string
	What string // "the server's tokens file"
}

// protected is every path no request may name: the store, the server's
// outputs directory (only its own jobs write there) and s.Protected.
func (s *Service) protected() []Protected {
	out := []Protected{{Path: s.Store.Dir(), What: "the store"}}
	if s.Outputs != "" {
		out = append(out, Protected{Path: s.Outputs, What: "the server's outputs directory"})
	}
	return append(out, s.Protected...)
}

// checkPath refuses a local path a request may not read or write: outside
// a server's data roots, or a protected file or one inside a protected
// directory.
func (s *Service) checkPath(field, path string) error {
	if s.Roots == nil || path == "" {
		return nil
	}
	if err := s.Roots.Check(field, path); err != nil || featurestore.IsURI(path) {
		return err
	}
	return s.checkProtected(field, path)
}

// checkFiles is checkPath for every file a directory or glob expanded to.
func (s *Service) checkFiles(field string, files []string) error {
	for _, f := range files {
		if err := s.checkPath(field, f); err != nil {
			return err
		}
	}
	return nil
}

// checkProtected refuses a path that is, or lies inside, a protected one.
func (s *Service) checkProtected(field, path string) error {
	abs := resolvedPath(path)
	for _, p := range s.protected() {
		if within(abs, resolvedPath(p.Path)) {
			return featurestore.Errorf(EFORBIDDEN, "%s: %s is %s or inside it", field, path, p.What).
				WithHint("fs never reads or writes its own files for a request: give another path")
		}
	}
	return nil
}

// checkOut is checkPath for a file the server writes: a job's output kept
// in the server's outputs directory is its own to write.
func (s *Service) checkOut(field, path string) error {
	if s.Roots == nil || path == "" {
		return nil
	}
	if s.Outputs != "" && !hasDotDot(path) && within(resolvedPath(path), resolvedPath(s.Outputs)) {
		return nil
	}
	return s.checkPath(field, path)
}

// allowSourceFile is materialize's Allow: a file a source expands to must
// be one a request could name.
func (s *Service) allowSourceFile(file string) error {
	if s.Roots == nil {
		return nil
	}
	return s.checkPath("source file", file)
}

// checkSourcePath is checkPath for a source's path, which may be a URI
// only Spark reads.
func (s *Service) checkSourcePath(field, path string) error {
	if s.Roots == nil {
		return nil
	}
	if err := s.Roots.CheckSource(field, path); err != nil || featurestore.IsURI(path) {
		return err
	}
	return s.checkProtected(field, path)
}

// need is a required field: its name, its value and what it takes.
type need struct{ field, value, what string }

// required refuses the first empty field: an empty path would otherwise
// name the working directory.
func required(needs ...need) error {
	for _, n := range needs {
		if strings.TrimSpace(n.value) == "" {
			return featurestore.Errorf(featurestore.EINVALID, "%s is empty", n.field).WithHint("give %s", n.what)
		}
	}
	return nil
}

// refused marks a request's Check error as a usage error (EUSAGE): the
// request was refused before anything ran, as the command line's exit 2.
func refused(err error) error {
	var fe *featurestore.Error
	if errors.As(err, &fe) && fe.Code == featurestore.EINVALID {
		c := *fe
		c.Code = featurestore.EUSAGE
		return &c
	}
	return err
}

// What each required field takes, for the hint.
const (
	whatEntities = "the entity file: CSV, TSV or parquet with the join keys and the event time"
	whatOut      = "the parquet file to write"
	whatDataset  = "a parquet file written by fs materialize, or a dataset id"
	whatRun      = "a run id (fs runs list)"
	whatTarget   = "a parquet file, a directory of them, or a registered source's name"
	whatNode     = "a run or dataset id, NAME@VERSION, or a feature, feature set or source name"
)

// absolute is a local path made absolute; a URI as it is.
func absolute(path string) string {
	if featurestore.IsURI(path) {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
