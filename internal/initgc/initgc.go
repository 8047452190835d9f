package initgc

import "runtime/debug"

// percent is the collector's setting before init turned it off: GOGC's,
// or 100.
var percent = debug.SetGCPercent(-1)

// Restore turns the collector back on as GOGC (or the default) set it.
func Restore() { debug.SetGCPercent(percent) }
