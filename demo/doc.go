// Package demo generates the demo's data deterministically: driver stats
// parquet shaped like real exports (hourly rows per driver, created times,
// a few nulls, duplicate rows, late backfills, rows out of order), labelled
// orders as tab-separated text, and a definition file. The same seed gives
// the same bytes on every machine.
package demo
