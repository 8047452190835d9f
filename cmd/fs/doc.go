// Command fs is the feature versioning and lineage store's command line.
// It parses flags, opens the adapters and calls into the packages; it holds
// no business logic. Run fs --help for the commands.
//
// Exit codes: 0 ok, 1 error, 2 usage, 3 quality gate failed (train), 4 not
// reproduced, 5 expectations failed (validate), 10 no store, 11 store in
// use by another fs process, 12 store damaged, 130 interrupted.
package main
