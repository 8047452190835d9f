package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/yaml"
)

// Role is what a token may do; each role may do what the ones before it
// may.
type Role int

const (
	RoleNone  Role = iota
	RoleRead       // every GET, and use cases that record nothing (reproduce, validate, a dry-run register)
	RoleWrite      // register, materialize, train, predict, sync, profile; cancel its own jobs
	RoleAdmin      // list and cancel anyone's jobs
)

var roleNames = map[string]Role{"read": RoleRead, "write": RoleWrite, "admin": RoleAdmin}

func (r Role) String() string {
	for n, v := range roleNames {
		if v == r {
			return n
		}
	}
	return "none"
}

// Token is one entry of the tokens file. Give the secret itself (token)
// or its SHA-256 in hex (sha256), so the file need not hold the secret.
type Token struct {
	Name   string `yaml:"name"`
	Role   string `yaml:"role"`
	Token  string `yaml:"token"`
	SHA256 string `yaml:"sha256"`
}

// Tokens are the bearer tokens a server accepts.
type Tokens struct {
	byHash map[[32]byte]identity
}

type identity struct {
	name string
	role Role
}

// tokensFile is the YAML layout of a tokens file.
type tokensFile struct {
	Tokens []Token `yaml:"tokens"`
}

const tokensHint = "a tokens file is YAML: tokens: [{name: alice, role: write, token: SECRET}] (role read, write or admin; sha256: HEX instead of token keeps the secret out of the file)"

// ReadTokens reads a tokens file. A file others may read that holds
// secrets (token: rather than sha256:) is refused.
func ReadTokens(path string) (*Tokens, error) {
	var f tokensFile
	if err := yaml.DecodeFile(path, &f, tokensHint); err != nil {
		return nil, err
	}
	t := &Tokens{byHash: map[[32]byte]identity{}}
	names := map[string]int{}
	for i, tok := range f.Tokens {
		role, ok := roleNames[tok.Role]
		if !ok || tok.Name == "" {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s: tokens[%d]: give a name and a role of read, write or admin", path, i).WithHint(tokensHint)
		}
		h, err := tokenHash(tok)
		if err != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s: tokens[%d] (%s): %v", path, i, tok.Name, err).WithHint(tokensHint)
		}
		if j, dup := names[tok.Name]; dup {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s: tokens[%d] and tokens[%d] are both named %s", path, j, i, tok.Name).
				WithHint("give each token a name of its own: what a token does is recorded under its name")
		}
		if other, dup := t.byHash[h]; dup {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s: tokens[%d] (%s) has the same secret as %s", path, i, tok.Name, other.name).
				WithHint("give each person a secret of their own; a secret given twice would have one role or the other")
		}
		names[tok.Name] = i
		t.byHash[h] = identity{name: tok.Name, role: role}
	}
	if len(t.byHash) == 0 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s holds no tokens", path).WithHint(tokensHint)
	}
	if err := checkPrivate(path, f.Tokens); err != nil {
		return nil, err
	}
	return t, nil
}

func tokenHash(tok Token) ([32]byte, error) {
	var h [32]byte
	switch {
	case tok.Token != "" && tok.SHA256 != "":
		return h, fmt.Errorf("give token or sha256, not both")
	case tok.Token != "":
		if len(tok.Token) < 16 {
			return h, fmt.Errorf("a token is at least 16 characters")
		}
		return sha256.Sum256([]byte(tok.Token)), nil
	}
	b, err := hex.DecodeString(tok.SHA256)
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("sha256 must be 64 hex digits")
	}
	copy(h[:], b)
	return h, nil
}

// identify returns who a request's bearer token belongs to. With no
// tokens configured every request is an anonymous admin (a loopback
// server for one person).
func (t *Tokens) identify(r *http.Request) (identity, error) {
	if t == nil {
		return identity{name: "local", role: RoleAdmin}, nil
	}
	auth := r.Header.Get("Authorization")
	secret, ok := bearer(auth)
	if c, err := r.Cookie(tokenCookie); auth == "" && err == nil {
		// The web UI's cookie: a browser sends it on requests another site
		// starts too, so a change must come from the UI's own script.
		if r.Method != http.MethodGet && r.Header.Get("X-Requested-With") != "fs-ui" {
			return identity{}, featurestore.Errorf(app.EFORBIDDEN, "a change made with the web UI's cookie must come from the UI").
				WithHint("send the token in an Authorization header")
		}
		secret, ok = c.Value, true
	}
	if !ok || secret == "" {
		return identity{}, featurestore.Errorf(EUNAUTHORIZED, "this fs server needs a token").
			WithHint("export FS_TOKEN=SECRET, a token its operator gave you")
	}
	h := sha256.Sum256([]byte(secret))
	for known, id := range t.byHash {
		if subtle.ConstantTimeCompare(known[:], h[:]) == 1 {
			return id, nil
		}
	}
	return identity{}, featurestore.Errorf(EUNAUTHORIZED, "the server does not know this token").
		WithHint("check FS_TOKEN; ask the server's operator for a token")
}

// bearer is the secret of an Authorization header of the Bearer scheme,
// whose name is case-insensitive (RFC 9110).
func bearer(auth string) (string, bool) {
	scheme, secret, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(secret), true
}

// checkPrivate refuses a tokens file holding secrets that users other than
// its owner may read.
func checkPrivate(path string, tokens []Token) error {
	fi, err := os.Stat(path)
	if err != nil || runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	for _, t := range tokens {
		if t.Token != "" {
			return featurestore.Errorf(app.EFORBIDDEN, "%s holds tokens and others may read it (mode %v)", path, fi.Mode().Perm()).
				WithHint("chmod 600 %s, or keep only sha256: of each token in it", path)
		}
	}
	return nil
}
