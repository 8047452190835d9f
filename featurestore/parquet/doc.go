// Package parquet reads and writes the parquet data of fs with
// github.com/parquet-go/parquet-go: source paths (a file, a directory or a
// glob); schemas taken from the files' footers, with physical and logical
// types, INT96 timestamps included; whole columns (ReadTable, a row group
// and column per task), some rows of them (ReadRows: only the pages
// holding one are decoded) or a row group at a time (ScanRowGroups); and
// datasets written deterministically (WriteTable).
//
// read.go plans and runs the reads; open.go opens a file and checks its
// footer and page headers before anything is decoded, once per version of
// the file in a process (the most recently used 4,096 are remembered), so
// that a damaged file is an error naming it, never a panic or an
// allocation of what a damaged length says. The footers of a source's
// files are read up to 16 files at a time (eachFooter: an object's footer
// is a request), errors still reported as a loop in file order would meet
// them. object.go reads a bucket's object by ranges and holds the footers
// of the object versions read (footers: by ETag, size and version id, up
// to 32 MiB), which every pass and worker of a job opens again. decode.go
// turns pages into
// columns, timeUnit being the one place that decides what a stored time
// counts.
//
// pages.go is fs's own page reader for the chunks read most (a local
// file's flat INT32, INT64, FLOAT or DOUBLE column, PLAIN or dictionary
// pages, v1 or v2, any codec parquet-go has, CRCs checked): it finds a
// chunk's pages by their headers, so that workers decode them apart (one
// large row group is not one worker), reads values from the page's bytes
// without copying them first, and reads only the dictionary values of
// the rows asked. A chunk it does not take, or where it meets anything
// unexpected (a damaged page, a time out of range), is read again by
// parquet-go, which gives the error. TestOwnPagesAreParquetGos,
// TestOwnRowsAreParquetGos and FuzzOwnPagesAreParquetGos hold the two to
// the same values.
//
// write.go encodes row groups in parallel, a column at a time, and commits
// them in order. It builds a column's 64-bit values by setting the bits of
// one leveled parquet-go Value (valueBits: the offset, found at start by
// comparing with parquet-go's constructors; without it, Value.Level per
// value, which is not inlined); TestValueBitsAreParquetGos holds both to
// the same bytes.
package parquet
