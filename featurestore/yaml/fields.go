package yaml

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// fieldsOf lists the YAML keys of a struct type (its yaml tags).
func fieldsOf(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// sections are the keys of the file and of the items of each list in it.
var sections = map[string][]string{
	"":             fieldsOf(reflect.TypeOf(file{})),
	"catalogs":     fieldsOf(reflect.TypeOf(fileCatalog{})),
	"entities":     fieldsOf(reflect.TypeOf(fileEntity{})),
	"sources":      fieldsOf(reflect.TypeOf(fileSource{})),
	"features":     fieldsOf(reflect.TypeOf(fileFeature{})),
	"feature_sets": fieldsOf(reflect.TypeOf(fileSet{})),
}

// unknownFields finds every key the definition file does not define, so
// that all of them are reported with the file's other problems, not the
// first alone before anything else is checked.
func unknownFields(defs *featurestore.Definitions, f *ast.File, loc *locator) featurestore.Errors {
	var errs featurestore.Errors
	check := func(m *ast.MappingNode, section string) {
		known := sections[section]
		for _, v := range m.Values {
			key := v.Key.String()
			if sortedContains(known, key) {
				continue
			}
			where := "the file"
			if section != "" {
				where = "an item of " + section
			}
			hint := transforms.Suggest(key, known)
			if hint == "" {
				hint = fmt.Sprintf("the fields of %s are %s", where, strings.Join(known, ", "))
			}
			tk := v.Key.GetToken()
			errs = append(errs, featurestore.LocatedError(defs.File, loc.at(tk.Position.Line, tk.Position.Column), hint,
				"unknown field %q in %s", key, where))
		}
	}
	for _, d := range f.Docs {
		top, ok := unwrap(d.Body).(*ast.MappingNode)
		if !ok {
			continue
		}
		check(top, "")
		for _, v := range top.Values {
			seq, ok := unwrap(v.Value).(*ast.SequenceNode)
			if _, known := sections[v.Key.String()]; !ok || !known {
				continue
			}
			for _, item := range seq.Values {
				if m, ok := unwrap(item).(*ast.MappingNode); ok {
					check(m, v.Key.String())
				}
			}
		}
	}
	return errs
}

// unwrap looks through anchors and tags to the node they hold.
func unwrap(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		default:
			return n
		}
	}
}

func sortedContains(s []string, v string) bool {
	i := sort.SearchStrings(s, v)
	return i < len(s) && s[i] == v
}
