package trainer

import (
	"fmt"
	"html"
	"strings"
)

// confusionSVG draws a classifier's test confusion matrix: one cell per
// (true, predicted) pair, shaded by its share of its true class's rows.
func confusionSVG(classes []string, m [][]int) []byte {
	const cell, left, top = 56, 110, 60
	k := len(classes)
	w, h := left+k*cell+10, top+k*cell+30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="Helvetica,Arial,sans-serif" font-size="12">`, w, h)
	fmt.Fprintf(&b, `<text x="%d" y="18" text-anchor="middle" font-weight="bold">confusion matrix (test rows)</text>`, left+k*cell/2)
	fmt.Fprintf(&b, `<text x="%d" y="40" text-anchor="middle">predicted</text>`, left+k*cell/2)
	fmt.Fprintf(&b, `<text x="14" y="%d" text-anchor="middle" transform="rotate(-90 14 %d)">true</text>`, top+k*cell/2, top+k*cell/2)
	for t, row := range m {
		total := 0
		for _, n := range row {
			total += n
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, top+t*cell+cell/2+4, esc(classes[t]))
		for p, n := range row {
			share := 0.0
			if total > 0 {
				share = float64(n) / float64(total)
			}
			fill := fmt.Sprintf("rgb(%d,%d,%d)", 255-int(share*200), 255-int(share*140), 255)
			ink := "#202124"
			if share > 0.6 {
				ink = "#ffffff"
			}
			x, y := left+p*cell, top+t*cell
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#dadce0"/><text x="%d" y="%d" text-anchor="middle" fill="%s">%d</text>`,
				x, y, cell, cell, fill, x+cell/2, y+cell/2+4, ink, n)
		}
	}
	for p, c := range classes {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, left+p*cell+cell/2, top+k*cell+18, esc(c))
	}
	b.WriteString(`</svg>` + "\n")
	return []byte(b.String())
}

var esc = html.EscapeString
