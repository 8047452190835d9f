package materialize_test

import (
	"fmt"
	"testing"

	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/materialize/pickertest"
)

// TestPickersConform runs the picker conformance suite on the pickers a
// job chooses between when it picks here: in memory, and spilled in one
// partition or many. (The Spark engine runs it in spark's tests.)
func TestPickersConform(t *testing.T) {
	pickertest.Run(t, materialize.InMemory(), t.TempDir())
	for _, parts := range []int{1, 3, 16} {
		t.Run(fmt.Sprintf("spilled in %d", parts), func(t *testing.T) {
			dir := t.TempDir()
			pickertest.Run(t, materialize.Spilled(dir, parts), dir)
		})
	}
}
