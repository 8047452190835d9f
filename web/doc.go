// Package web renders fs's web UI: HTML pages from the application
// layer's results (html/template, the templates and assets embedded in
// the binary, nothing fetched from a network), lineage graphs as SVG laid
// out in Go (layout.go: columns by longest path, barycentre ordering;
// fs's graphs flow one way, snapshot to model, which is all a layered
// drawing needs), and charts as SVG drawn by gonum/plot. A run's page and
// the runs table lay out whatever its estimator reports (runs.go): its
// parameters, metrics, further tables and coefficients. It knows nothing of HTTP routing or the store: package
// http's UI handlers parse a request, call app.Service and hand the
// result to a Renderer.
package web
