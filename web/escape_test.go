package web

import (
	"context"
	"strings"
	"testing"

	"github.com/fs-dev/fs/lineage"
)

// Labels and attributes are the user's text (names, expressions): the
// drawing escapes them, so markup in them is never markup in the page.
func TestGraphEscapesMarkup(t *testing.T) {
	n := &lineage.Node{ID: lineage.ID(lineage.FeatureVersion, "f1"), Kind: lineage.FeatureVersion, Label: `x<script>alert(1)</script>@f1`,
		Attrs: map[string]string{"expr": `"a" + '<img src=x onerror=alert(1)>' & \"`}}
	g := NewGraph([]*lineage.Tree{{Node: n}}, lineage.Upstream)
	svg, err := g.SVG(context.Background(), NodeURL)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if strings.Contains(s, "<script") || strings.Contains(s, "<img") || !strings.Contains(s, "&lt;script&gt;") {
		t.Errorf("markup in a label or tooltip is not escaped:\n%s", s)
	}
}
