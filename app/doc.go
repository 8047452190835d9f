// Package app is fs's application layer: every use case (register,
// features, materialize, datasets, train, predict, runs, sync, lineage,
// impact, reproduce, profile, validate) as one method of Service, taking a
// request and returning the result the CLI prints with --json.
//
// The command line (cmd/fs), the HTTP server (package http) and, through
// the server, the Python client reach fs only through these methods, so
// they agree on behaviour and JSON. API is the interface they share: a
// local *Service implements it over a store directory, and http.Client
// implements it over an fs server.
//
// # Stores
//
// A use case reaches the store through the Store interface (the
// registry, datasets, runs, the lineage view; badger is the one adapter)
// and an Opener: Dir opens the store
// directory for each step and closes it after (the command line, where
// another fs process may want the store between steps); Shared holds one
// open store for a server's life, reads running in parallel and writes
// serialised in short transactions.
//
// Around the use cases: Init, Doctor and WriteDemo (the store's own
// care), OpenServe (a server's service, data roots and outputs), and the
// lineage graph built over the store's view (graph.go).
//
// # Side channels
//
// Warnings and progress are not part of a result: a use case reports them
// through the context (WithNotify, WithProgress), which the command line
// prints on stderr and the server passes to its client.
package app
