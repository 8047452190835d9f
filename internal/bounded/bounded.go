package bounded

import (
	"runtime"
	"testing"
	"time"
)

// Run runs fn and fails t if it takes longer than limit or allocates more
// than maxAlloc bytes; what names the input in messages.
func Run(t testing.TB, what string, limit time.Duration, maxAlloc uint64, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s did not finish in %v", what, limit)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > maxAlloc {
		t.Fatalf("%s allocated %d bytes, more than %d", what, grew, maxAlloc)
	}
}
