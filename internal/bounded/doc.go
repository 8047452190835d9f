// Package bounded runs a piece of code under the bounds the fuzz targets
// hold every reader to: it must finish within a time limit and allocate at
// most a given number of bytes. A test fails naming which bound was passed.
package bounded
