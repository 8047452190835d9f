package materialize

import (
	"fmt"
	"time"
)

// stopwatch tells, as each step of a job ends, how long it took
// (Request.Timings); a nil stopwatch tells nothing.
type stopwatch struct {
	tell  func(format string, args ...any)
	start time.Time
	last  time.Time
}

func newStopwatch(tell func(format string, args ...any)) *stopwatch {
	now := time.Now()
	return &stopwatch{tell: tell, start: now, last: now}
}

// step tells the step just ended and its time since the previous one.
func (w *stopwatch) step(format string, args ...any) {
	if w == nil || w.tell == nil {
		return
	}
	now := time.Now()
	w.tell("timing: %-52s %7.3f s", fmt.Sprintf(format, args...), now.Sub(w.last).Seconds())
	w.last = now
}

// total tells the time since the stopwatch started.
func (w *stopwatch) total() {
	if w != nil && w.tell != nil {
		w.tell("timing: %-52s %7.3f s", "total", time.Since(w.start).Seconds())
	}
}

// alongside tells how long a step that ran alongside the others took.
func (w *stopwatch) alongside(d time.Duration, format string, args ...any) {
	if w != nil && w.tell != nil {
		w.tell("timing: %-52s %7.3f s", fmt.Sprintf(format, args...)+" (alongside)", d.Seconds())
	}
}
