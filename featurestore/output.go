package featurestore

import (
	"os"
	"path/filepath"
	"strings"
)

// CheckOutput refuses an output path that would destroy something the
// command reads or keeps: a directory, one of inputs (the same file, also
// through links) or anything inside one of the keep directories (the
// store). flag names the option, for the message.
func CheckOutput(flag, out string, inputs []string, keep []string) error {
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return Errorf(EINVALID, "%s %s is a directory", flag, out).
			WithHint("give a file name, such as %s", filepath.Join(out, "train.parquet"))
	}
	for _, in := range inputs {
		if samePath(out, in) {
			return Errorf(EINVALID, "%s %s is an input of this command (%s)", flag, out, in).
				WithHint("write the output to another file; fs never overwrites what it reads")
		}
	}
	for _, k := range keep {
		if within(out, k) {
			return Errorf(EINVALID, "%s %s is inside the store %s", flag, out, k).
				WithHint("write outputs outside the store directory")
		}
	}
	return nil
}

// samePath reports whether a and b name the same file: the same inode when
// both exist, else the same absolute path once links are resolved.
func samePath(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	return resolved(a) == resolved(b)
}

// resolved is path made absolute with the links of its directory resolved
// (the file itself may not exist yet).
func resolved(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

func within(path, dir string) bool {
	p, d := resolved(path), resolved(dir)
	return p == d || strings.HasPrefix(p, d+string(filepath.Separator))
}
