// Package http serves fs's application layer over HTTP (Server, behind
// fs serve) and reaches it from elsewhere (Client, behind --store
// http://HOST:PORT). Both speak the versioned JSON API under /api/v1/,
// described by the OpenAPI 3 document the server serves at
// /api/v1/openapi.json, which is generated from the same route table the
// server dispatches on.
//
// Handlers only parse a request, call app.Service and write its result:
// the JSON of a result is the command line's --json. Long use cases
// (materialize, train, predict, sync, reproduce, profile, validate) run
// as jobs: the request answers 202 with the job, GET /api/v1/jobs/ID
// reports its progress, warnings and, when done, its result or error, and
// DELETE cancels it. A job outlives the request that started it, so a
// client that disconnects never leaves half a record; every write is one
// short store transaction.
//
// The server also serves the web UI at / (ui.go): its handlers, like the
// API's, parse a request, call app.Service and hand the result to package
// web to render. A browser signs in with a token kept in an HttpOnly
// cookie (login.go); a change made with that cookie must come from the
// UI's own script.
//
// Server.Open starts answering on an address and Server.Close stops: new
// work refused, running jobs given a grace period, requests in flight
// answered. CheckBind refuses an address beyond this machine without
// tokens.
//
// Security: bearer tokens from a tokens file, each with a role (read,
// write, admin); every file path a request names must lie under the
// server's data roots; bodies and request times are bounded.
package http
