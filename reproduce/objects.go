package reproduce

import (
	"context"
	"fmt"
	"slices"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/materialize"
)

// checkObjectSource compares a source in a bucket with its snapshot and
// pins the objects the rebuild reads: each as recorded (its recorded
// version where the bucket keeps versions). An object that changed in a
// bucket that keeps no versions of it cannot be read as it was: that is
// an error naming it. Objects added since are listed, not read.
func checkObjectSource(ctx context.Context, store blob.Store, s featurestore.SourceSnapshot) (SourceCheck, []string, error) {
	c := SourceCheck{Name: s.Name, Path: s.Path, Files: []string{}, AsRecorded: true}
	var pinned []string
	for _, f := range s.Files {
		note, err := checkObject(ctx, store, s.Name, f)
		if err != nil {
			return c, nil, err
		}
		if note != "" {
			c.Files = append(c.Files, note)
		}
		pinned = append(pinned, blob.Versioned(f.Path, f.Version))
	}
	now, _ := parquet.Files(s.Path)
	for _, uri := range now {
		if !slices.ContainsFunc(s.Files, func(f featurestore.FileSnapshot) bool { return f.Path == uri }) {
			c.Files = append(c.Files, "added "+uri+" (not read: the rebuild reads the objects recorded)")
		}
	}
	c.Changed = len(c.Files) > 0
	return c, pinned, nil
}

// checkObject says how a recorded object stands: "" when it is as it was,
// a note when its recorded version is read in place of a newer one, an
// error when it cannot be read as it was.
func checkObject(ctx context.Context, store blob.Store, source string, f featurestore.FileSnapshot) (string, error) {
	cur, err := store.Stat(ctx, f.Path)
	if err == nil && cur.Size == f.Size && cur.ETag == f.ETag && (f.Version == "" || cur.Version == f.Version) {
		return "", nil
	}
	if f.Version != "" {
		if _, err := store.Stat(ctx, blob.Versioned(f.Path, f.Version)); err != nil {
			return "", featurestore.Errorf(featurestore.ECONFLICT, "source %s: %s changed since the dataset was built, and its recorded version %s cannot be read: %v",
				source, f.Path, f.Version, err).WithHint("the bucket no longer keeps that version; the dataset cannot be rebuilt as it was")
		}
		return fmt.Sprintf("modified %s (version %s, as recorded, was read)", f.Path, f.Version), nil
	}
	if err == nil {
		if now, _, herr := materialize.FileSHA256(f.Path); herr == nil && now == f.SHA256 {
			return "", nil // the same bytes under another ETag (uploaded again)
		}
	}
	what := "changed"
	if err != nil {
		what = "is gone"
	}
	return "", featurestore.Errorf(featurestore.ECONFLICT, "source %s: %s %s since the dataset was built, and the bucket keeps no versions of it",
		source, f.Path, what).WithHint("put the object back as it was, or turn on versioning in the bucket so that fs reproduce can read recorded versions")
}
