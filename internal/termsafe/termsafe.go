// Package termsafe keeps text from other people (a feature's description,
// a file name, an error from a server) from driving the terminal it is
// printed in: control characters are written as \u00XX escapes.
//
// Every C0 control character but tab and line feed is escaped, and so are
// DEL and the C1 controls (U+0080 to U+009F, which some terminals read as
// ESC [). The escapes are JSON's, and JSON written by encoding/json holds
// such characters only inside strings, so JSON passed through the Writer
// stays valid and means the same.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// escape reports whether r is escaped.
func escape(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' || r >= 0x7f && r <= 0x9f
}

// String returns s with its control characters escaped.
func String(s string) string {
	if !strings.ContainsFunc(s, escape) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if escape(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Writer escapes what is written through it before passing it to w. A
// UTF-8 sequence cut between two writes is held until it is whole.
func Writer(w io.Writer) io.Writer { return &writer{w: w} }

type writer struct {
	w    io.Writer
	held []byte // the start of a UTF-8 sequence the last write ended in
}

func (t *writer) Write(p []byte) (int, error) {
	data := p
	if len(t.held) > 0 {
		data = append(t.held, p...)
		t.held = nil
	}
	cut := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	if cut < len(data) {
		t.held = append([]byte(nil), data[cut:]...)
	}
	if _, err := io.WriteString(t.w, String(string(data[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}
