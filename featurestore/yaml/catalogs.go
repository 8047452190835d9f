package yaml

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

type fileCatalog struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	URI         string `yaml:"uri"`
	Warehouse   string `yaml:"warehouse"`
	Description string `yaml:"description"`
}

// parseCatalogs reads the catalogs, by name; a relative sqlite:/// path
// resolves against dir, as a source's path does.
func parseCatalogs(defs *featurestore.Definitions, loc *locator, cats []fileCatalog) (map[string]featurestore.Catalog, featurestore.Errors) {
	var errs featurestore.Errors
	out := map[string]featurestore.Catalog{}
	for i, c := range cats {
		field := fmt.Sprintf("catalogs[%d]", i)
		fail := func(at, hint, format string, args ...any) {
			errs = append(errs, errorAt(defs, loc.locate(field+at), hint, format, args...))
		}
		switch {
		case c.Name == "":
			fail("", "add name: what sources call it in table: NAME.NAMESPACE.TABLE", "catalog %d has no name", i+1)
			continue
		case out[c.Name] != (featurestore.Catalog{}):
			fail(".name", "give each catalog a different name", "catalog %s is defined twice", c.Name)
		case c.Type != featurestore.CatalogSQL && c.Type != featurestore.CatalogREST:
			fail(".type", "type is sql (a SQLite catalog, as pyiceberg's SqlCatalog) or rest", "catalog %s: unknown type %q", c.Name, c.Type)
		case c.URI == "":
			fail("", "add uri: the catalog's own URI (sqlite:///catalog.db, or the REST catalog's https://...)", "catalog %s has no uri", c.Name)
		case c.Type == featurestore.CatalogSQL && !strings.HasPrefix(c.URI, "sqlite:///"):
			fail(".uri", "write sqlite:///PATH (relative to this file) or sqlite:////ABSOLUTE/PATH", "catalog %s: uri %s is not sqlite:///PATH", c.Name, c.URI)
		}
		cat := featurestore.Catalog{Name: c.Name, Type: c.Type, URI: c.URI, Warehouse: c.Warehouse}
		if p, ok := strings.CutPrefix(c.URI, "sqlite:///"); ok && c.Type == featurestore.CatalogSQL && p != "" && !filepath.IsAbs(p) {
			cat.URI = "sqlite:///" + filepath.ToSlash(filepath.Join(defs.Dir, p))
		}
		out[c.Name] = cat
	}
	return out, errs
}

// tableSource sets the path of sources[i], a table (CATALOG.NAMESPACE.TABLE),
// to the table's URI.
func tableSource(defs *featurestore.Definitions, loc *locator, i int, s fileSource, cats map[string]featurestore.Catalog) (string, *featurestore.Error) {
	field := fmt.Sprintf("sources[%d].table", i)
	if s.Path != "" {
		return "", errorAt(defs, loc.locate(field), "a source is a path (parquet files) or a table (in a catalog): keep one",
			"source %s has both path and table", s.Name)
	}
	name, table, ok := strings.Cut(s.Table, ".")
	cat, known := cats[name]
	switch {
	case !ok || !strings.Contains(table, ".") || strings.HasSuffix(table, "."):
		return "", errorAt(defs, loc.locate(field), "write CATALOG.NAMESPACE.TABLE, as lake.rides.trips",
			"source %s: table %q does not name a catalog, a namespace and a table", s.Name, s.Table)
	case !known:
		names := make([]string, 0, len(cats))
		for n := range cats {
			names = append(names, n)
		}
		hint := transforms.Suggest(name, names)
		if hint == "" {
			hint = "define it under catalogs: (name, type, uri, warehouse)"
		}
		return "", errorAt(defs, loc.locate(field), hint, "source %s: no catalog %s", s.Name, name)
	}
	return featurestore.TableRef{Catalog: cat, Table: table}.URI(), nil
}
