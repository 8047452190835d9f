//go:build spark

package spark

import (
	"context"
	"os"
	"testing"

	"github.com/fs-dev/fs/materialize/pickertest"
)

// TestSparkPickerConforms runs the picker conformance suite on a real
// Spark Connect server (FS_SPARK_REMOTE). scripts/test.sh starts one and
// runs this test with -tags spark once it is up.
func TestSparkPickerConforms(t *testing.T) {
	remote := os.Getenv("FS_SPARK_REMOTE")
	if remote == "" {
		t.Fatal("FS_SPARK_REMOTE is not set: scripts/test.sh starts a Spark Connect server and runs this test with -tags spark")
	}
	p, err := Connect(context.Background(), remote)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pickertest.Run(t, p, t.TempDir())
}
