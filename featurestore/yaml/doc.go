// Package yaml reads fs definition files (entities, sources, features,
// feature sets) into featurestore.Definitions, keeping where each field is
// written so that errors can name the line and column and show a caret.
// It wraps github.com/goccy/go-yaml, which reports positions and refuses
// unknown fields and duplicate keys.
package yaml
