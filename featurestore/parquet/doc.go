// Package parquet reads the parquet data of fs sources with
// github.com/parquet-go/parquet-go: source paths (a file, a directory or a
// glob), and schemas taken from the files' footers, with physical and
// logical types, INT96 timestamps included.
package parquet
