package reproduce

import (
	"context"
	"fmt"

	"github.com/fs-dev/fs/featurestore"
)

// checkTableSource checks that the table snapshot a dataset read is still
// kept and pins the rebuild to it: the path of the table at that snapshot.
// Appends since are said, not read; an expired snapshot is an error.
func checkTableSource(ctx context.Context, tables featurestore.Tables, s featurestore.SourceSnapshot) (SourceCheck, string, error) {
	c := SourceCheck{Name: s.Name, Path: s.Path, Files: []string{}, AsRecorded: true}
	ref, err := featurestore.ParseTableRef(s.Path)
	if err != nil || s.Snapshot == nil {
		return c, "", fmt.Errorf("source %s: the dataset does not record the table snapshot it read", s.Name)
	}
	if tables == nil {
		return c, "", featurestore.Errorf(featurestore.EINVALID, "source %s is a table, and this rebuild reads no catalog", s.Name)
	}
	ref.Snapshot = s.Snapshot.ID
	if _, err := tables.Snapshot(ctx, ref); err != nil {
		if featurestore.ErrorCode(err) == featurestore.ENOTFOUND {
			return c, "", featurestore.Errorf(featurestore.ECONFLICT, "source %s: the dataset read snapshot %d of table %s, which the table no longer keeps: %s",
				s.Name, s.Snapshot.ID, ref, featurestore.ErrorHint(err)).
				WithHint("a snapshot that expired cannot be read again; fs doctor warns before the snapshots of kept runs expire")
		}
		return c, "", err
	}
	cur := ref
	cur.Snapshot = 0
	if now, err := tables.Snapshot(ctx, cur); err == nil && now.ID != s.Snapshot.ID {
		c.Changed = true
		c.Files = append(c.Files, fmt.Sprintf("table %s is at snapshot %d now; snapshot %d, as recorded, was read", ref, now.ID, s.Snapshot.ID))
	}
	return c, ref.URI(), nil
}
