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

// box is a node placed in the drawing, or a dummy: the place an edge
// takes in a column it crosses, so that it passes between the nodes of
// that column, never through one.
type box struct {
	node       *lineage.Node // nil for a dummy
	id         lineage.NodeID
	col        int
	pos        float64 // the order within the column while ordering
	x, y, w, h float64
}

// dummyHeight is the height of the lane an edge takes through a column.
const dummyHeight = 4.0

// layout is a graph placed: its boxes (nodes and dummies) by id, its
// columns in order, and each edge's route through the boxes it passes.
type layout struct {
	boxes  map[lineage.NodeID]*box
	cols   [][]*box
	routes [][]*box // per edge of Graph.Edges: its source, dummies, target
}

// SVG lays the graph out left to right, upstream to downstream: columns by
// the longest path from a source (source versions in the first column,
// registered model versions in the last), each column ordered to keep
// edges short (barycentre sweeps), an edge that spans several columns
// routed through a lane of its own in each column it crosses (a dummy
// node, as layered drawings do), so that no edge passes through a node
// that is not one of its ends; every node a link to href(node) when it
// gives one. Laid out in Go, in time linear in nodes and edges per sweep.
func (g *Graph) SVG(ctx context.Context, href func(*lineage.Node) string) (template.HTML, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	l := g.place()
	var b strings.Builder
	width, height := 0.0, 0.0
	for _, bx := range l.boxes {
		width, height = max(width, bx.x+bx.w+margin), max(height, bx.y+bx.h+margin)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica,Arial,sans-serif" font-size="10">`,
		width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#9aa0a6"/></marker></defs>`)
	b.WriteString(`<g class="edges" fill="none" stroke="#9aa0a6">`)
	for _, route := range l.routes {
		fmt.Fprintf(&b, `<path class="edge" d="%s" marker-end="url(#arrow)"/>`, pathOf(route))
	}
	b.WriteString(`</g>`)
	for _, col := range l.cols {
		for _, bx := range col {
			if bx.node != nil {
				g.drawNode(&b, bx, href(bx.node))
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), nil
}

// segment is a piece of an edge's route: a curve across the gap between
// two columns (C: its control points halfway, so it stays in the gap) or a
// straight line along a dummy's lane (L).
type segment struct {
	curve          bool
	x1, y1, x2, y2 float64
}

// segments are a route's pieces, from the source's right side to the
// target's left side (an edge within one column, which fs's graphs never
// have, goes round the right side).
func segments(route []*box) []segment {
	from, to := route[0], route[len(route)-1]
	x, y := from.x+from.w, from.y+from.h/2
	var out []segment
	for _, d := range route[1 : len(route)-1] {
		cy := d.y + d.h/2
		out = append(out, segment{true, x, y, d.x, cy}, segment{false, d.x, cy, d.x + d.w, cy})
		x, y = d.x+d.w, cy
	}
	x2 := to.x
	if to.col <= from.col {
		x2 = to.x + to.w
	}
	return append(out, segment{true, x, y, x2, to.y + to.h/2})
}

// pathOf is an SVG path through a route.
func pathOf(route []*box) string {
	segs := segments(route)
	var b strings.Builder
	fmt.Fprintf(&b, "M%.1f,%.1f", segs[0].x1, segs[0].y1)
	for _, s := range segs {
		if !s.curve {
			fmt.Fprintf(&b, " L%.1f,%.1f", s.x2, s.y2)
			continue
		}
		dx := max((s.x2-s.x1)/2, colGap/2)
		fmt.Fprintf(&b, " C%.1f,%.1f %.1f,%.1f %.1f,%.1f", s.x1+dx, s.y1, s.x2-dx, s.y2, s.x2, s.y2)
	}
	return b.String()
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

// place assigns every node its column, a dummy to every column an edge
// crosses, every box its row, and all of them their coordinates.
func (g *Graph) place() *layout {
	boxes := make(map[lineage.NodeID]*box, len(g.Nodes))
	for id, n := range g.Nodes {
		boxes[id] = &box{node: n, id: id, h: nodeHeight, w: float64(utf8.RuneCountInString(label(n)))*charWidth + 2*padX}
	}
	preds, succs := map[lineage.NodeID][]*box{}, map[lineage.NodeID][]*box{}
	link := func(a, b *box) {
		succs[a.id] = append(succs[a.id], b)
		preds[b.id] = append(preds[b.id], a)
	}
	for _, e := range g.Edges {
		if boxes[e[0]] != nil && boxes[e[1]] != nil {
			link(boxes[e[0]], boxes[e[1]])
		}
	}
	cols := g.columns(boxes, preds, succs)
	l := &layout{boxes: boxes, cols: cols}
	// Edges across several columns: a chain of dummies, one a column, in
	// place of the edge for the ordering.
	dpreds, dsuccs := map[lineage.NodeID][]*box{}, map[lineage.NodeID][]*box{}
	dlink := func(a, b *box) {
		dsuccs[a.id] = append(dsuccs[a.id], b)
		dpreds[b.id] = append(dpreds[b.id], a)
	}
	for i, e := range g.Edges {
		from, to := boxes[e[0]], boxes[e[1]]
		if from == nil || to == nil {
			continue
		}
		route := []*box{from}
		for c := from.col + 1; c < to.col; c++ {
			d := &box{id: lineage.NodeID(fmt.Sprintf("dummy:%d:%d", i, c)), col: c, h: dummyHeight}
			l.boxes[d.id] = d
			l.cols[c] = append(l.cols[c], d)
			route = append(route, d)
		}
		route = append(route, to)
		for k := 1; k < len(route); k++ {
			dlink(route[k-1], route[k])
		}
		l.routes = append(l.routes, route)
	}
	order(l.cols, dpreds, dsuccs)
	l.position()
	return l
}

// position gives each box its coordinates: columns left to right, each as
// wide as its widest node, its boxes stacked top to bottom in their order
// and centred on the tallest column.
func (l *layout) position() {
	heights := make([]float64, len(l.cols))
	tallest := 0.0
	for i, col := range l.cols {
		for j, bx := range col {
			if j > 0 {
				heights[i] += rowGap
			}
			heights[i] += bx.h
		}
		tallest = max(tallest, heights[i])
	}
	x := margin
	for i, col := range l.cols {
		w := 0.0
		for _, bx := range col {
			w = max(w, bx.w)
		}
		y := margin + (tallest-heights[i])/2
		for _, bx := range col {
			bx.x, bx.w, bx.y = x, w, y
			y += bx.h + rowGap
		}
		x += w + colGap
	}
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
		for _, s := range succs[bx.id] {
			s.col = max(s.col, bx.col+1)
			if indeg[s.id]--; indeg[s.id] == 0 {
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
			if ns := nbrs[bx.id]; len(ns) > 0 {
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
		sort.SliceStable(col, func(i, j int) bool { return kindOf(col[i]) < kindOf(col[j]) })
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

// kindOf is a box's node's kind; a dummy sorts last at first.
func kindOf(bx *box) lineage.Kind {
	if bx.node == nil {
		return "~"
	}
	return bx.node.Kind
}

func sortedIDs(boxes map[lineage.NodeID]*box) []lineage.NodeID {
	ids := make([]lineage.NodeID, 0, len(boxes))
	for id := range boxes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
