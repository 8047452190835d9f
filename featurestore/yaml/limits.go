package yaml

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"

	"github.com/fs-dev/fs/featurestore"
)

// The limits on a definition file, so that no file can exhaust memory or
// time: its size (which bounds the nodes written out), how deep its
// collections nest, and how many nodes its aliases stand for once
// expanded (an alias bomb of 1 KB expands to billions).
const (
	MaxFileBytes     = 4 << 20
	MaxDepth         = 64
	MaxExpandedNodes = 200_000
)

// checkFlowNesting refuses flow collections ([ and {) nested deeper than
// MaxDepth before the parser, which recurses on them, sees the file.
// Brackets in quoted strings and comments do not count.
func checkFlowNesting(defs *featurestore.Definitions, data []byte) error {
	depth, line, col := 0, 1, 0
	var quote byte
	comment := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		col++
		switch {
		case c == '\n':
			line, col, comment = line+1, 0, false
			if quote == '\'' || quote == '"' {
				continue // quoted strings may span lines
			}
		case comment:
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'):
			comment = true
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '{':
			if depth++; depth > MaxDepth {
				return featurestore.LocatedError(defs.File, featurestore.Location{Line: line, Column: col}, "flatten the file; definitions need a few levels",
					"collections nest more than %d levels deep", MaxDepth)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}

// checkTree refuses a second document (it would be ignored), block
// collections nested deeper than MaxDepth and aliases that expand past
// MaxExpandedNodes.
func checkTree(defs *featurestore.Definitions, f *ast.File) error {
	if len(f.Docs) > 1 {
		loc := featurestore.Location{}
		if d := f.Docs[1]; d.Start != nil {
			loc = featurestore.Location{Line: d.Start.Position.Line, Column: d.Start.Position.Column}
		}
		return featurestore.LocatedError(defs.File, loc, "put every definition in one document (remove the second ---)",
			"the file holds %d YAML documents; fs reads one", len(f.Docs))
	}
	c := &nodeCounter{anchors: map[string]ast.Node{}, sizes: map[string]int{}}
	for _, d := range f.Docs {
		c.count(d.Body, 0)
		if c.err != "" {
			return featurestore.LocatedError(defs.File, c.at, "use fewer aliases, or write the values out", "%s", c.err)
		}
	}
	return nil
}

// nodeCounter counts the nodes a document stands for, aliases expanded.
type nodeCounter struct {
	anchors map[string]ast.Node
	sizes   map[string]int // expanded size of each anchor, once counted
	aliased int            // the nodes the aliases stand for
	err     string
	at      featurestore.Location
}

func (c *nodeCounter) fail(n ast.Node, format string, args ...any) int {
	if c.err == "" {
		c.err = fmt.Sprintf(format, args...)
		if tk := n.GetToken(); tk != nil {
			c.at = featurestore.Location{Line: tk.Position.Line, Column: tk.Position.Column}
		}
	}
	return MaxExpandedNodes + 1
}

func (c *nodeCounter) count(n ast.Node, depth int) int {
	if n == nil || c.err != "" {
		return 0
	}
	if depth > MaxDepth {
		return c.fail(n, "collections nest more than %d levels deep", MaxDepth)
	}
	total := 1
	switch x := n.(type) {
	case *ast.MappingNode:
		for _, v := range x.Values {
			total += c.count(v, depth+1)
		}
	case *ast.MappingValueNode:
		total += c.count(x.Key, depth) + c.count(x.Value, depth)
	case *ast.SequenceNode:
		for _, v := range x.Values {
			total += c.count(v, depth+1)
		}
	case *ast.TagNode:
		total += c.count(x.Value, depth)
	case *ast.AnchorNode:
		size := c.count(x.Value, depth)
		c.anchors[x.Name.String()] = x.Value
		c.sizes[x.Name.String()] = size
		total += size
	case *ast.AliasNode:
		size, ok := c.sizes[x.Value.String()]
		if !ok {
			size = 1 // an unknown alias: the parser reports it
		}
		total += size
		if c.aliased += size; c.aliased > MaxExpandedNodes {
			return c.fail(n, "the file's aliases (*name) stand for more than %d YAML nodes once expanded", MaxExpandedNodes)
		}
	}
	return min(total, MaxExpandedNodes+1)
}
