package materialize

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fs-dev/fs/internal/bounded"
	"github.com/fs-dev/fs/transforms"
)

// FuzzEntities reads mutated CSV and TSV entity files: an error naming the
// file is fine; a panic, a hang or an allocation past a few hundred times
// the file's size is not.
func FuzzEntities(f *testing.F) {
	f.Add([]byte("event_timestamp,driver_id,trip_completed\n2021-04-16 20:29:28+00:00,1001,1\n2021-04-16T20:29:28Z,1002,0\n"))
	f.Add([]byte("event_timestamp\tdriver_id\tlabel\n2021-04-16\t1001\t0.5\n2021-04-17 01:02:03.123\t\tx\n"))
	f.Add([]byte("driver_id,event_timestamp\n\"10\"\"01\",2021-04-16\n1002,2500-01-01\n"))
	keys := map[string]transforms.Type{"driver_id": transforms.Int64}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "e.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		bounded.Run(t, fmt.Sprintf("reading %d bytes", len(data)), 10*time.Second, uint64(len(data))*400+64<<20, func() {
			ReadEntities(context.Background(), path, "event_timestamp", keys)
		})
	})
}
