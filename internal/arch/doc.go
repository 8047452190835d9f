// Package arch holds the test that keeps fs's imports as
// docs/design.md's table of packages says: each package imports only
// what its row allows, and every package has a row.
package arch
