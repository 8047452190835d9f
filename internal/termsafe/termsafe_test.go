package termsafe

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, tabs\tand\nlines": "plain text, tabs\tand\nlines",
		"red \x1b[31malert\x07":        `red \u001b[31malert\u0007`,
		"over\rwrite":                  `over\u000dwrite`,
		"c1 \u009b2J del \x7f":         `c1 \u009b2J del \u007f`,
		"é ü → ✓":                      "é ü → ✓",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriterKeepsJSON: JSON written through the Writer, a byte at a time
// (a C1 character cut in two), is still valid and holds the same strings.
func TestWriterKeepsJSON(t *testing.T) {
	in := map[string]string{"description": "x\u009b2J\x7f\x1b[31m é"}
	raw, _ := json.Marshal(in)
	var out bytes.Buffer
	w := Writer(&out)
	for i := range raw {
		w.Write(raw[i : i+1])
	}
	if bytes.ContainsAny(out.Bytes(), "\x1b\x7f") || bytes.Contains(out.Bytes(), []byte("\u009b")) {
		t.Fatalf("control characters passed: %q", out.String())
	}
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back["description"] != in["description"] {
		t.Fatalf("JSON changed: %q -> %v, %v", out.String(), back, err)
	}
}
