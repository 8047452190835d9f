package http

import (
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
)

// Error codes of requests refused for where they come from or what they
// carry.
const (
	EUNSUPPORTED = "unsupported_media_type" // a body that is not JSON
	EBUSY        = "busy"                   // too many jobs: retry later
)

// checkOrigin refuses a request a browser was made to send: on a server
// without tokens (one person's, on loopback) a Host that is not a loopback
// name (a DNS rebinding page reaching it under its own name), and on any
// server a state-changing request from another origin (a page on another
// site posting to it).
func (s *Server) checkOrigin(r *http.Request) error {
	if s.tokens == nil && !loopbackHost(r.Host) {
		return featurestore.Errorf(app.EFORBIDDEN, "this fs server answers only to a loopback name, not to Host %q", r.Host).
			WithHint("open it as http://127.0.0.1:PORT or http://localhost:PORT; a server for others needs --tokens")
	}
	if err := s.cop.Check(r); err != nil {
		return featurestore.Errorf(app.EFORBIDDEN, "a change sent by a page of another site is refused").
			WithHint("use the fs command line, the Python client or this server's own web UI")
	}
	return nil
}

// loopbackHost reports whether a Host header names this machine's
// loopback interface: localhost, 127.0.0.0/8 or ::1, with any port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkJSON refuses a request body that does not say it is JSON: a form a
// page of another site can send without asking the browser's permission
// would otherwise be read as JSON.
func checkJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "application/json" {
		return nil
	}
	return featurestore.Errorf(EUNSUPPORTED, "the request body must be JSON (Content-Type: application/json), not %q", r.Header.Get("Content-Type")).
		WithHint("send Content-Type: application/json; GET %s/openapi.json describes each request", Prefix)
}
