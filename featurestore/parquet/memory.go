package parquet

import (
	"context"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/transforms"
)

// BytesPerRow is what a row of these columns takes in memory.
func BytesPerRow(schema featurestore.Schema) int64 {
	n := int64(0)
	for _, c := range schema {
		n += 9 // a value (a string header takes 16) and its validity
		if c.Type == transforms.String {
			n += 8
		}
	}
	return n
}

// checkMemory refuses a read of rows rows of schema that would take more
// than the context's memory ceiling (membudget).
func checkMemory(ctx context.Context, what string, rows int64, schema featurestore.Schema) error {
	need, limit := rows*BytesPerRow(schema), membudget.FromContext(ctx).Ceiling
	if rows < 0 || need/max(BytesPerRow(schema), 1) != rows || need > limit {
		return featurestore.Errorf(featurestore.EINVALID, "%s declares %d rows; reading %d columns of them needs about %s, more than fs's memory limit of %s",
			what, rows, len(schema), membudget.Human(need), membudget.Human(limit)).
			WithHint("set FS_MEMORY_LIMIT (e.g. FS_MEMORY_LIMIT=32GiB) if the machine has the memory, or split the data")
	}
	return nil
}
