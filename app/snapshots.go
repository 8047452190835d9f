package app

import (
	"context"
	"fmt"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// snapshotWarning is how long before a table's retention may expire the
// snapshot a kept run read that fs doctor warns.
const snapshotWarning = 24 * time.Hour

// checkSnapshots warns of runs whose datasets read table snapshots that are
// gone or that the table's retention may expire within snapshotWarning:
// such a run can no longer be reproduced once they are.
func checkSnapshots(ctx context.Context, st Store, tables featurestore.Tables, now time.Time) ([]string, error) {
	runs, err := st.Runs(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range runs {
		id, err := featurestore.ParseID(r.Dataset.ID)
		if !r.Dataset.FS || err != nil {
			continue
		}
		ds, err := st.Dataset(ctx, id)
		if err != nil {
			continue
		}
		for _, s := range ds.Sources {
			key := s.Path + fmt.Sprint(s.Snapshot)
			if s.Snapshot == nil || seen[key] {
				continue
			}
			seen[key] = true
			if w := snapshotState(ctx, tables, r.ID.Short(), s, now); w != "" {
				out = append(out, w)
			}
		}
	}
	return out, nil
}

// snapshotState is the warning for one snapshot a run read, "" when none.
func snapshotState(ctx context.Context, tables featurestore.Tables, run string, s featurestore.SourceSnapshot, now time.Time) string {
	ref, err := featurestore.ParseTableRef(s.Path)
	if err != nil {
		return ""
	}
	ref.Snapshot = s.Snapshot.ID
	snap, err := tables.Snapshot(ctx, ref)
	switch {
	case featurestore.ErrorCode(err) == featurestore.ENOTFOUND:
		return fmt.Sprintf("run %s read snapshot %d of table %s, which the table no longer keeps: the run cannot be reproduced", run, ref.Snapshot, ref)
	case err != nil:
		return fmt.Sprintf("run %s read table %s, whose snapshots cannot be checked: %v", run, ref, err)
	case snap.Current || snap.Expires.IsZero() || snap.Expires.Sub(now) > snapshotWarning:
		return ""
	}
	return fmt.Sprintf("run %s read snapshot %d of table %s, which the table's retention may expire at %s: keep it longer to reproduce the run",
		run, ref.Snapshot, ref, snap.Expires.UTC().Format(time.RFC3339))
}
