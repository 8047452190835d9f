package featurestore

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// ShortLen is the number of hex characters in the short form of an ID,
// used in tables (JSON always carries the full form).
const ShortLen = 12

// ID names a piece of content by its SHA-256: feature versions, feature set
// versions, datasets and runs are all IDs.
type ID [32]byte

// Hash returns the ID of data.
func Hash(data []byte) ID { return ID(sha256.Sum256(data)) }

// String returns the full lowercase hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first ShortLen hex characters.
func (id ID) Short() string { return id.String()[:ShortLen] }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText implements encoding.TextMarshaler with the full hex form.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseID parses the full 64-character hex form of an ID.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, Errorf(EINVALID, "%q is not a full id (64 hex characters)", s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, Errorf(EINVALID, "%q is not a hex id", s)
	}
	return id, nil
}

// IsIDPrefix reports whether s could be a prefix of an ID: 4 to 64
// lowercase or uppercase hex characters.
func IsIDPrefix(s string) bool {
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	for _, c := range strings.ToLower(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Version is the version of fs, recorded with datasets and runs.
const Version = "0.3.0"
