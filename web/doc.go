// Package web renders fs's web UI: HTML pages from the application
// layer's results (html/template, the templates and assets embedded in
// the binary, nothing fetched from a network), lineage graphs as SVG laid
// out by Graphviz's dot (github.com/goccy/go-graphviz: Graphviz compiled
// to WebAssembly, run in Go, no system package), and charts as SVG drawn
// by gonum/plot. It knows nothing of HTTP routing or the store: package
// http's UI handlers parse a request, call app.Service and hand the
// result to a Renderer.
package web
