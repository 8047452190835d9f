package yaml

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	goyaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

type fileEntity struct {
	Name        string   `yaml:"name"`
	JoinKeys    []string `yaml:"join_keys"`
	Description string   `yaml:"description"`
}

type fileSource struct {
	Name                  string `yaml:"name"`
	Path                  string `yaml:"path"`
	Table                 string `yaml:"table"`
	Entity                string `yaml:"entity"`
	TimestampField        string `yaml:"timestamp_field"`
	CreatedTimestampField string `yaml:"created_timestamp_field"`
	Description           string `yaml:"description"`
}

type fileFeature struct {
	Name        string   `yaml:"name"`
	Source      string   `yaml:"source"`
	Expr        string   `yaml:"expr"`
	Type        string   `yaml:"type"`
	TTL         string   `yaml:"ttl"`
	Aggregate   string   `yaml:"aggregate"`
	Window      string   `yaml:"window"`
	Where       string   `yaml:"where"`
	Description string   `yaml:"description"`
	Owner       string   `yaml:"owner"`
	Tags        []string `yaml:"tags"`
}

type fileSet struct {
	Name        string   `yaml:"name"`
	Features    []string `yaml:"features"`
	Description string   `yaml:"description"`
}

type file struct {
	Catalogs    []fileCatalog `yaml:"catalogs"`
	Entities    []fileEntity  `yaml:"entities"`
	Sources     []fileSource  `yaml:"sources"`
	Features    []fileFeature `yaml:"features"`
	FeatureSets []fileSet     `yaml:"feature_sets"`
}

// ReadFile reads and parses the definition file at path.
func ReadFile(path string) (*featurestore.Definitions, error) {
	data, dir, err := ReadDefinitionFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, dir, data)
}

// ReadDefinitionFile reads a definition file's content (at most
// MaxFileBytes) and the absolute directory its relative paths start from,
// for Parse.
func ReadDefinitionFile(path string) (data []byte, dir string, err error) {
	data, err = readBounded(path)
	if err != nil {
		return nil, "", &featurestore.Error{Code: featurestore.EINVALID,
			Message: fmt.Sprintf("cannot read definition file %s", path), Err: unwrapPathError(err),
			Hint: "give the path of a YAML file with entities, sources and features"}
	}
	dir, err = filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, "", fmt.Errorf("resolve %s: %w", path, err)
	}
	return data, dir, nil
}

// readBounded reads a regular file of at most MaxFileBytes: a FIFO or a
// device could block or never end.
func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		return nil, fmt.Errorf("it is a directory")
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("it is not a regular file (%s)", fi.Mode().Type())
	case fi.Size() > MaxFileBytes:
		return nil, fmt.Errorf("it is %d bytes; a definition file is at most %d MiB", fi.Size(), MaxFileBytes>>20)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err == nil && len(data) > MaxFileBytes {
		err = fmt.Errorf("it grew past %d MiB while being read", MaxFileBytes>>20)
	}
	return data, err
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse parses a definition file's bytes. name is used in messages and dir
// is where relative source paths resolve.
func Parse(name, dir string, data []byte) (*featurestore.Definitions, error) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	defs := &featurestore.Definitions{File: name, Dir: dir}
	if len(data) > MaxFileBytes {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s is %d bytes; a definition file is at most %d MiB", name, len(data), MaxFileBytes>>20)
	}
	if err := checkFlowNesting(defs, data); err != nil {
		return nil, err
	}
	astFile, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(defs, lines, err)
	}
	if err := checkTree(defs, astFile); err != nil {
		return nil, err
	}
	loc := &locator{file: astFile, lines: lines}
	defs.Locate = loc.locate
	defs.LocateIn = loc.locateIn
	// Unknown fields are problems like any other, reported with the rest;
	// a file with none of them decodes strictly.
	errs := unknownFields(defs, astFile, loc)
	var f file
	opts := []goyaml.DecodeOption{goyaml.Strict()}
	if len(errs) > 0 {
		opts = nil
	}
	if err := goyaml.UnmarshalWithOptions(data, &f, opts...); err != nil {
		return nil, yamlError(defs, lines, err)
	}
	for _, e := range f.Entities {
		defs.Entities = append(defs.Entities, featurestore.Entity{Name: e.Name, JoinKeys: e.JoinKeys})
	}
	cats, problems := parseCatalogs(defs, loc, f.Catalogs)
	errs = append(errs, problems...)
	for i, s := range f.Sources {
		path := s.Path
		if s.Table != "" {
			var e *featurestore.Error
			if path, e = tableSource(defs, loc, i, s, cats); e != nil {
				errs = append(errs, e)
				path = s.Path
			}
		}
		defs.Sources = append(defs.Sources, featurestore.Source{Name: s.Name, Path: path, Entity: s.Entity,
			TimestampField: s.TimestampField, CreatedTimestampField: s.CreatedTimestampField})
	}
	for i, ff := range f.Features {
		feat, problems := parseFeature(defs, loc, i, ff)
		errs = append(errs, problems...)
		defs.Features = append(defs.Features, feat)
	}
	for _, s := range f.FeatureSets {
		defs.FeatureSets = append(defs.FeatureSets, featurestore.FeatureSet{Name: s.Name, Features: s.Features,
			Description: s.Description})
	}
	if len(defs.Features) == 0 && len(defs.FeatureSets) == 0 {
		return nil, errorAt(defs, featurestore.Location{}, "see the definition file format in docs/definitions.md",
			"no features or feature_sets defined")
	}
	defs.Problems = errs
	return defs, nil
}

// parseFeature reads features[i]: its type, ttl and window parsed, the
// problems found (positioned).
func parseFeature(defs *featurestore.Definitions, loc *locator, i int, ff fileFeature) (featurestore.Feature, featurestore.Errors) {
	var errs featurestore.Errors
	feat := featurestore.Feature{Name: ff.Name, Source: ff.Source, Expr: ff.Expr, Aggregate: ff.Aggregate, Where: ff.Where,
		Description: ff.Description, Owner: ff.Owner, Tags: ff.Tags}
	field := fmt.Sprintf("features[%d]", i)
	if ff.Type != "" {
		t, err := transforms.ParseType(ff.Type)
		if err != nil {
			errs = append(errs, errorAt(defs, loc.locate(field+".type"), "use float64, int64, bool or string",
				"feature %s: %v", ff.Name, err))
		}
		feat.Type = t
	}
	for _, span := range []struct {
		name, text string
		dst        *time.Duration
	}{{"ttl", ff.TTL, &feat.TTL}, {"window", ff.Window, &feat.Window}} {
		if span.text == "" {
			continue
		}
		d, err := parseSpan(span.name, span.text)
		if err != nil {
			errs = append(errs, errorAt(defs, loc.locate(field+"."+span.name), "write a duration such as 720h, 30d or 90m",
				"feature %s: %v", ff.Name, err))
			if span.name == "window" {
				d = -1 // given, but reported: not reported again as missing
			}
		}
		*span.dst = d
	}
	if ff.Expr == "" && ff.Aggregate == "" {
		errs = append(errs, errorAt(defs, loc.locate(field), "add expr: the computation, e.g. a column name",
			"feature %s has no expr", ff.Name))
	}
	if ff.Name == "" {
		errs = append(errs, errorAt(defs, loc.locate(field), "add name:", "feature %d has no name", i+1))
	}
	return feat, errs
}

// ParseDuration parses a ttl: a Go duration (720h, 90m) or a whole
// number of days (30d).
func ParseDuration(s string) (time.Duration, error) { return parseSpan("ttl", s) }

// parseSpan parses a ttl or a window: a positive Go duration or whole
// number of days.
func parseSpan(what, s string) (time.Duration, error) {
	zero := fmt.Errorf("a ttl of 0 would ignore every row; leave ttl out for unlimited lookback")
	if what == "window" {
		zero = fmt.Errorf("a window of 0 would hold no event; give a positive span such as 7d")
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("invalid %s %q", what, s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("invalid %s %q", what, s)
		}
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("negative %s %q", what, s)
	case d == 0:
		return 0, zero
	}
	return d, nil
}

// errorAt builds a positioned error through the same code path as the
// domain's own errors.
func errorAt(defs *featurestore.Definitions, loc featurestore.Location, hint, format string, args ...any) *featurestore.Error {
	return featurestore.LocatedError(defs.File, loc, hint, format, args...)
}

func yamlError(defs *featurestore.Definitions, lines []string, err error) error {
	var ye goyaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		pos := ye.GetToken().Position
		loc := featurestore.Location{Line: pos.Line, Column: pos.Column}
		if pos.Line >= 1 && pos.Line <= len(lines) {
			loc.Text = lines[pos.Line-1]
		}
		msg := ye.GetMessage()
		hint := "check the indentation and the field names against docs/definitions.md"
		if strings.Contains(msg, "unknown field") {
			hint = "fields are entities, sources, features, feature_sets and, inside them, those in docs/definitions.md"
		}
		return errorAt(defs, loc, hint, "%s", msg)
	}
	return errorAt(defs, featurestore.Location{}, "check the YAML syntax", "%v", err)
}

type locator struct {
	file  *ast.File
	lines []string
}

func (l *locator) node(field string) ast.Node {
	p, err := goyaml.PathString("$." + field)
	if err != nil {
		return nil
	}
	n, err := p.FilterFile(l.file)
	if err != nil {
		return nil
	}
	return n
}

func (l *locator) at(line, col int) featurestore.Location {
	loc := featurestore.Location{Line: line, Column: col}
	if line >= 1 && line <= len(l.lines) {
		loc.Text = l.lines[line-1]
	}
	return loc
}

func (l *locator) locate(field string) featurestore.Location {
	n := l.node(field)
	if n == nil || n.GetToken() == nil {
		// Fall back to the enclosing element.
		if i := strings.LastIndexAny(field, ".["); i > 0 {
			return l.locate(field[:i])
		}
		return featurestore.Location{}
	}
	pos := n.GetToken().Position
	return l.at(pos.Line, pos.Column)
}

// locateIn maps a position inside the expression at field (features[i].expr
// or .where) to the file.
func (l *locator) locateIn(field string, line, col int) featurestore.Location {
	n := l.node(field)
	if n == nil || n.GetToken() == nil {
		return l.locate(field[:strings.LastIndex(field, ".")])
	}
	tok := n.GetToken()
	pos := tok.Position
	switch lit := n.(type) {
	case *ast.LiteralNode:
		// A block scalar: the text starts on the line after the indicator,
		// at the block's indentation.
		start := lit.Start.Position.Line + 1
		for start <= len(l.lines) && strings.TrimSpace(l.lines[start-1]) == "" {
			start++
		}
		target := start + line - 1
		if target > len(l.lines) {
			return l.at(pos.Line, pos.Column)
		}
		indent := 0
		if start <= len(l.lines) {
			t := l.lines[start-1]
			indent = len(t) - len(strings.TrimLeft(t, " "))
		}
		return l.at(target, indent+col)
	}
	offset := 0
	if tok.Type == token.SingleQuoteType || tok.Type == token.DoubleQuoteType {
		offset = 1
	}
	if line > 1 {
		// A plain scalar folded over several lines: point at its start.
		return l.at(pos.Line, pos.Column)
	}
	return l.at(pos.Line, pos.Column+offset+col-1)
}
