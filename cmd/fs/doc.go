// Command fs is the feature versioning and lineage store's command line.
// Each command parses its flags, calls the application layer (app.API: a
// store directory through app.Service, or an fs server through
// http.Client when --store or FS_STORE is a URL) and prints the result;
// it holds no business logic. fs serve serves a store over HTTP. Run
// fs --help for the commands.
//
// Exit codes: 0 ok, 1 error, 2 usage, 3 quality gate failed (train), 4 not
// reproduced, 5 expectations failed (validate), 10 no store (or no server
// at the URL), 11 store in use by another fs process, 12 store damaged,
// 130 interrupted.
package main
