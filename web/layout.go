package web

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/fs-dev/fs/lineage"
)

// The drawing's measures, in pixels: a node's height, the space between
// two nodes of a column, between two columns, and a character's width at
// the font size used (an upper bound, so labels stay inside their boxes).
const (
	nodeHeight = 22.0
	rowGap     = 8.0
	colGap     = 56.0
	charWidth  = 6.4
	padX       = 8.0
	margin     = 6.0
)

// kindFill is each kind's fill colour.
var kindFill = map[lineage.Kind]string{
	lineage.Source:         "#e0f2f1",
	lineage.Snapshot:       "#e8f0fe",
	lineage.FeatureVersion: "#e6f4ea",
	lineage.FeatureSet:     "#fef7e0",
	lineage.Dataset:        "#f3e8fd",
	lineage.Run:            "#fce8e6",
	lineage.ModelVersion:   "#fff0d9",
}

// Highlighted is the outline of a highlighted node (an affected one).
const Highlighted = "#d93025"

// box is a node placed in the drawing.
type box struct {
	node       *lineage.Node
	col        int
	pos        float64 // the order within the column while ordering
	x, y, w, h float64
}

// SVG lays the graph out left to right, upstream to downstream: columns by
// the longest path from a source (source versions in the first column,
// registered model versions in the last), each column ordered to keep
// edges short (barycentre sweeps), every node a link to href(node) when it
// gives one. Laid out in Go, in time linear in nodes and edges per sweep.
func (g *Graph) SVG(ctx context.Context, href func(*lineage.Node) string) (template.HTML, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	boxes, cols := g.place()
	var b strings.Builder
	width, height := 0.0, 0.0
	for _, bx := range boxes {
		width, height = max(width, bx.x+bx.w+margin), max(height, bx.y+bx.h+margin)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica,Arial,sans-serif" font-size="10">`,
		width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#9aa0a6"/></marker></defs>`)
	b.WriteString(`<g class="edges" fill="none" stroke="#9aa0a6">`)
	for _, e := range g.Edges {
		from, to := boxes[e[0]], boxes[e[1]]
		x1, y1, x2, y2 := from.x+from.w, from.y+from.h/2, to.x, to.y+to.h/2
		if to.col <= from.col { // an edge within a column (never in fs's graphs): around the right side
			x2 = to.x + to.w
		}
		dx := max((x2-x1)/2, colGap/2)
		fmt.Fprintf(&b, `<path class="edge" d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" marker-end="url(#arrow)"/>`, x1, y1, x1+dx, y1, x2-dx, y2, x2, y2)
	}
	b.WriteString(`</g>`)
	for _, col := range cols {
		for _, bx := range col {
			g.drawNode(&b, bx, href(bx.node))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), nil
}

// drawNode writes one node: a rounded box, its label, its tooltip, its link.
func (g *Graph) drawNode(b *strings.Builder, bx *box, link string) {
	n := bx.node
	stroke, width := "#5f6368", 1.0
	switch {
	case g.Highlight[n.ID]:
		stroke, width = Highlighted, 2.5
	case g.Roots[n.ID]:
		width = 2
	}
	fmt.Fprintf(b, `<g class="node" id="%s"><title>%s</title>`, esc(string(n.ID)), esc(tooltip(n)))
	if link != "" {
		fmt.Fprintf(b, `<a href="%s">`, esc(link))
	}
	fmt.Fprintf(b, `<path d="%s" fill="%s" stroke="%s" stroke-width="%g"/>`, roundedRect(bx.x, bx.y, bx.w, bx.h, 4), kindFill[n.Kind], stroke, width)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#202124">%s</text>`, bx.x+bx.w/2, bx.y+bx.h/2+3.5, esc(label(n)))
	if link != "" {
		b.WriteString(`</a>`)
	}
	b.WriteString(`</g>`)
}

func label(n *lineage.Node) string { return string(n.Kind) + " " + n.Label }

var esc = html.EscapeString

func roundedRect(x, y, w, h, r float64) string {
	return fmt.Sprintf("M%.1f,%.1f H%.1f A%g,%g 0 0 1 %.1f,%.1f V%.1f A%g,%g 0 0 1 %.1f,%.1f H%.1f A%g,%g 0 0 1 %.1f,%.1f V%.1f A%g,%g 0 0 1 %.1f,%.1f Z",
		x+r, y, x+w-r, r, r, x+w, y+r, y+h-r, r, r, x+w-r, y+h, x+r, r, r, x, y+h-r, y+r, r, r, x+r, y)
}

// place assigns every node its column and row and its coordinates.
func (g *Graph) place() (map[lineage.NodeID]*box, [][]*box) {
	boxes := make(map[lineage.NodeID]*box, len(g.Nodes))
	for id, n := range g.Nodes {
		boxes[id] = &box{node: n, h: nodeHeight, w: float64(utf8.RuneCountInString(label(n)))*charWidth + 2*padX}
	}
	preds, succs := map[lineage.NodeID][]*box{}, map[lineage.NodeID][]*box{}
	for _, e := range g.Edges {
		if boxes[e[0]] != nil && boxes[e[1]] != nil {
			succs[e[0]] = append(succs[e[0]], boxes[e[1]])
			preds[e[1]] = append(preds[e[1]], boxes[e[0]])
		}
	}
	cols := g.columns(boxes, preds, succs)
	order(cols, preds, succs)
	tallest := 0
	for _, col := range cols {
		tallest = max(tallest, len(col))
	}
	x := margin
	for _, col := range cols {
		w := 0.0
		for _, bx := range col {
			w = max(w, bx.w)
		}
		top := margin + float64(tallest-len(col))*(nodeHeight+rowGap)/2
		for i, bx := range col {
			bx.x, bx.w, bx.y = x, w, top+float64(i)*(nodeHeight+rowGap)
		}
		x += w + colGap
	}
	return boxes, cols
}

// columns puts each node one column right of its furthest upstream
// neighbour (a node in a cycle, which fs's graphs never have, in the first
// column), and registered model versions in the last column.
func (g *Graph) columns(boxes map[lineage.NodeID]*box, preds, succs map[lineage.NodeID][]*box) [][]*box {
	indeg := map[lineage.NodeID]int{}
	for id := range boxes {
		indeg[id] = len(preds[id])
	}
	var queue []*box
	for _, id := range sortedIDs(boxes) {
		if indeg[id] == 0 {
			queue = append(queue, boxes[id])
		}
	}
	last := 0
	for len(queue) > 0 {
		bx := queue[0]
		queue = queue[1:]
		last = max(last, bx.col)
		for _, s := range succs[bx.node.ID] {
			s.col = max(s.col, bx.col+1)
			if indeg[s.node.ID]--; indeg[s.node.ID] == 0 {
				queue = append(queue, s)
			}
		}
	}
	cols := make([][]*box, last+1)
	for _, id := range sortedIDs(boxes) {
		bx := boxes[id]
		if bx.node.Kind == lineage.ModelVersion {
			bx.col = last
		}
		cols[bx.col] = append(cols[bx.col], bx)
	}
	return cols
}

// order sorts each column by the mean row of its neighbours in the column
// before (sweeping right) or after (sweeping left), a few times over: the
// barycentre heuristic of layered drawing, which keeps crossings few.
func order(cols [][]*box, preds, succs map[lineage.NodeID][]*box) {
	renumber := func(col []*box) {
		for i, bx := range col {
			bx.pos = float64(i)
		}
	}
	sortBy := func(col []*box, nbrs map[lineage.NodeID][]*box) {
		key := make(map[*box]float64, len(col))
		for _, bx := range col {
			key[bx] = bx.pos
			if ns := nbrs[bx.node.ID]; len(ns) > 0 {
				sum := 0.0
				for _, n := range ns {
					sum += n.pos
				}
				key[bx] = sum / float64(len(ns))
			}
		}
		sort.SliceStable(col, func(i, j int) bool { return key[col[i]] < key[col[j]] })
		renumber(col)
	}
	for _, col := range cols {
		sort.SliceStable(col, func(i, j int) bool { return col[i].node.Kind < col[j].node.Kind })
		renumber(col)
	}
	for sweep := 0; sweep < 4; sweep++ {
		for i := 1; i < len(cols); i++ {
			sortBy(cols[i], preds)
		}
		for i := len(cols) - 2; i >= 0; i-- {
			sortBy(cols[i], succs)
		}
	}
}

func sortedIDs(boxes map[lineage.NodeID]*box) []lineage.NodeID {
	ids := make([]lineage.NodeID, 0, len(boxes))
	for id := range boxes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
