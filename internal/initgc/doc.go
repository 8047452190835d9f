// Package initgc turns Go's garbage collector off while packages
// initialize, and Restore turns it back on.
//
// iceberg-go's table/substrait decodes Substrait's function catalog (YAML)
// when it initializes: about 33 MB in 540,000 allocations on every run of
// fs, whatever the command. Collecting garbage during that added about
// 15 ms to each command's start (measured with GODEBUG=inittrace=1). Go
// initializes a package before the ones that come later in import-path
// order once its own imports are done, and this package imports only
// runtime/debug, so it runs before table/substrait; cmd/fs calls Restore
// from its own init, which runs after every package's.
// TestGCIsOffWhileIcebergInitializes (cmd/fs) checks that order.
package initgc
