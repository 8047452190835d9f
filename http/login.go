package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/fs-dev/fs/web"
)

// tokenCookie holds the token a browser signed in with.
const tokenCookie = "fs_token"

type loginPage struct{ Next, Error string }

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.ui.Render(w, http.StatusOK, "login", web.Page{Title: "Sign in", Data: loginPage{Next: safeNext(r.URL.Query().Get("next"))}})
}

// login checks the token a person pasted and keeps it in a cookie that
// only this site gets and no script reads.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	token, next := r.PostFormValue("token"), safeNext(r.PostFormValue("next"))
	probe, _ := http.NewRequest(http.MethodGet, "/", nil)
	probe.Header.Set("Authorization", "Bearer "+token)
	if _, err := s.tokens.identify(probe); err != nil {
		s.ui.Render(w, http.StatusUnauthorized, "login", web.Page{Title: "Sign in", Data: loginPage{Next: next, Error: errorBody(err).Message}})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: token, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: 30 * 24 * 3600})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a redirect target on this site: a path of printable
// ASCII starting with one slash. Browsers drop tabs and line breaks from a
// URL and read a backslash as a slash, so "/<TAB>/evil.example" would
// leave the site: anything of the kind is refused.
func safeNext(next string) string {
	const home = "/features"
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return home
		}
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return home
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return home
	}
	return next
}
