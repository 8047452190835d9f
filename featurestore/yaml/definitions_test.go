package yaml_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/yaml"
)

const file = `features:
  - name: plain
    source: s
    expr: a + b
  - name: quoted
    source: s
    expr: "a + b"
  - name: block
    source: s
    expr: |
      a +
        b
  - name: timed
    source: s
    expr: a
    ttl: 30d
    type: int
`

func TestLocateExpr(t *testing.T) {
	defs, err := yaml.Parse("f.yaml", "/d", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		i, line, col int
		want         featurestore.Location
	}{
		{0, 1, 5, featurestore.Location{Line: 4, Column: 15}}, // b in "expr: a + b"
		{1, 1, 5, featurestore.Location{Line: 7, Column: 16}}, // after the opening quote
		{2, 2, 3, featurestore.Location{Line: 12, Column: 9}}, // b on the block's 2nd line
	}
	for _, c := range cases {
		got := defs.LocateIn(fmt.Sprintf("features[%d].expr", c.i), c.line, c.col)
		if got.Line != c.want.Line || got.Column != c.want.Column {
			t.Errorf("LocateExpr(%d, %d, %d) = %d:%d, want %d:%d", c.i, c.line, c.col, got.Line, got.Column, c.want.Line, c.want.Column)
			continue
		}
		if r := []rune(got.Text); got.Column > len(r) || r[got.Column-1] != 'b' {
			t.Errorf("LocateExpr(%d) points at %q col %d, not at b", c.i, got.Text, got.Column)
		}
	}
	if defs.Features[3].TTL != 30*24*time.Hour || defs.Features[3].Type != "int64" {
		t.Errorf("ttl/type = %v / %v", defs.Features[3].TTL, defs.Features[3].Type)
	}
	if loc := defs.Locate("features[3].ttl"); loc.Line != 16 || loc.Column != 10 {
		t.Errorf("Locate(ttl) = %+v", loc)
	}
	if !strings.HasPrefix(defs.Dir, "/d") {
		t.Errorf("Dir = %s", defs.Dir)
	}
}

// Unknown fields are problems reported with the file's others, each with
// its position and a suggestion.
func TestUnknownFieldsAreProblems(t *testing.T) {
	src := "features:\n  - nam: x\n    source: s\n    expr: a\n    tag: [a]\nfeature_set: []\n"
	defs, err := yaml.Parse("f.yaml", "/d", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range defs.Problems {
		got = append(got, p.Error()+" | "+featurestore.ErrorHint(p))
	}
	want := []string{
		`f.yaml:6:1: unknown field "feature_set" in the file | did you mean feature_sets?`,
		`f.yaml:2:5: unknown field "nam" in an item of features | did you mean name?`,
		`f.yaml:5:5: unknown field "tag" in an item of features | did you mean tags?`,
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("problems %q lack %q", got, w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"features:\n  - name: x\n    expr: a\n    expr: b\n": `f.yaml:4:5: mapping key "expr" already defined`,
		"features: [\n":  `f.yaml:`,
		"entities: []\n": `f.yaml: no features or feature_sets defined`,
		"features:\n  - name: x\n    source: s\n": ``, // no expr: reported as a problem
	}
	for src, want := range cases {
		defs, err := yaml.Parse("f.yaml", "/d", []byte(src))
		if want == "" {
			if err != nil || len(defs.Problems) != 1 || !strings.Contains(defs.Problems[0].Error(), "feature x has no expr") {
				t.Errorf("Parse(%q): %v, problems %v", src, err, defs.Problems)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want prefix %q", src, err, want)
		}
		if err == nil {
			continue
		}
		if featurestore.ErrorCode(err) != featurestore.EINVALID {
			t.Errorf("Parse(%q) code = %s", src, featurestore.ErrorCode(err))
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"720h": 720 * time.Hour, "30d": 720 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := yaml.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"-1h", "3 weeks", "d", "1.5d", "-2d", "0d", "0s", "0h"} {
		if _, err := yaml.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}
