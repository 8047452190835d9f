package parquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// SchemaReader reads source schemas from parquet footers.
type SchemaReader struct{}

var _ featurestore.SchemaReader = SchemaReader{}

// Files expands a source path: a file, every *.parquet file under a
// directory (recursively), or the files matching a glob; sorted.
func Files(path string) ([]string, error) {
	if store, ok := blob.For(path); ok {
		return objectFiles(store, path)
	}
	var files []string
	if strings.ContainsAny(path, "*?[") {
		m, err := filepath.Glob(path)
		if err != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "bad glob %s: %v", path, err)
		}
		for _, f := range m {
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
				files = append(files, f)
			}
		}
	} else {
		st, err := os.Stat(path)
		if err != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "cannot read %s: %v", path, rootCause(err)).
				WithHint("paths are relative to the definition file; check the path exists")
		}
		if !st.IsDir() {
			return []string{path}, nil
		}
		if err := walkParquet(path, map[string]bool{}, &files); err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "no parquet files at %s", path).
			WithHint("a source path is a parquet file, a directory of .parquet files or a glob")
	}
	sort.Strings(files)
	return files, nil
}

// objectFiles lists a source's objects in a bucket: a key, a prefix or a
// glob (blob.Store.List).
func objectFiles(store blob.Store, path string) ([]string, error) {
	objs, err := store.List(context.Background(), path)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "no parquet objects at %s", path).
			WithHint("a source in a bucket is an object, a prefix ending in / holding .parquet objects, or a glob")
	}
	files := make([]string, len(objs))
	for i, o := range objs {
		files[i] = o.URI
	}
	return files, nil
}

// walkParquet adds the *.parquet files under dir to files, following links
// to directories (each real directory once, so a link cycle ends). A link
// that leads nowhere, or a .parquet entry that is not a regular file (a
// FIFO would block), is an error rather than a silent gap in the source.
func walkParquet(dir string, seen map[string]bool, files *[]string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return featurestore.Errorf(featurestore.EINVALID, "cannot read %s: %v", dir, rootCause(err))
	}
	if seen[real] {
		return nil
	}
	seen[real] = true
	entries, err := os.ReadDir(dir)
	if err != nil {
		return featurestore.Errorf(featurestore.EINVALID, "cannot list %s: %v", dir, rootCause(err))
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		if err != nil {
			return featurestore.Errorf(featurestore.EINVALID, "cannot read %s in the source: %v", p, rootCause(err)).
				WithHint("remove the broken link, or point it at the data")
		}
		switch {
		case fi.IsDir():
			if err := walkParquet(p, seen, files); err != nil {
				return err
			}
		case !strings.HasSuffix(e.Name(), ".parquet"):
		case !fi.Mode().IsRegular():
			return featurestore.Errorf(featurestore.EINVALID, "%s is not a regular file (%s)", p, fi.Mode().Type()).
				WithHint("a source holds parquet files")
		default:
			*files = append(*files, p)
		}
	}
	return nil
}

func rootCause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// ReadSchema returns the schema of the source at path. Every file must
// have the same columns with the same types.
func (SchemaReader) ReadSchema(path string) (featurestore.Schema, error) {
	files, err := Files(path)
	if err != nil {
		return nil, err
	}
	return FilesSchema(context.Background(), files)
}

// FilesSchema is the schema of a source's files, which must all have the
// same columns with the same types.
func FilesSchema(ctx context.Context, files []string) (featurestore.Schema, error) {
	var first featurestore.Schema
	layouts, errs := fileLayouts(ctx, files)
	for i, f := range files {
		if errs[i] != nil {
			return nil, errs[i]
		}
		s := layouts[i].schema
		if i == 0 {
			first = s
			continue
		}
		if d := diffSchema(first, s); d != "" {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s does not match %s: %s", f, files[0], d).
				WithHint("every file of a source must have the same columns and types")
		}
	}
	return first, nil
}

func diffSchema(a, b featurestore.Schema) string {
	for _, c := range a {
		o, ok := b.Lookup(c.Name)
		if !ok {
			return fmt.Sprintf("column %s is missing", c.Name)
		}
		if o.Physical != c.Physical {
			return fmt.Sprintf("column %s is %s, not %s", c.Name, o.Physical, c.Physical)
		}
	}
	for _, c := range b {
		if _, ok := a.Lookup(c.Name); !ok {
			return fmt.Sprintf("extra column %s", c.Name)
		}
	}
	return ""
}

// FileSchema reads one parquet file's footer.
func FileSchema(path string) (schema featurestore.Schema, err error) {
	err = withFile(context.Background(), path, func(pf *pq.File) error {
		schema, err = schemaOf(pf.Metadata().Schema)
		return err
	})
	return schema, err
}

// schemaOf flattens footer schema elements (depth-first, root first) into
// leaf columns; nested leaves get dotted names and no expression type. A
// footer whose elements claim more children than it holds is an error.
func schemaOf(elems []format.SchemaElement) (featurestore.Schema, error) {
	var out featurestore.Schema
	damaged := false
	var walk func(i int, prefix string, nested bool) int
	walk = func(i int, prefix string, nested bool) int {
		if i >= len(elems) {
			damaged = true
			return len(elems)
		}
		e := elems[i]
		n, _ := e.NumChildren.Get()
		name := prefix + e.Name
		if n > 0 {
			next := i + 1
			for c := 0; c < int(n) && !damaged; c++ {
				next = walk(next, name+".", true)
			}
			return next
		}
		col := Column(e)
		col.Name = name
		if nested {
			col.Type = ""
			col.Physical = "NESTED/" + col.Physical
		}
		out = append(out, col)
		return i + 1
	}
	if len(elems) == 0 {
		return out, nil
	}
	n, _ := elems[0].NumChildren.Get()
	next := 1
	for c := 0; c < int(n) && !damaged; c++ {
		next = walk(next, "", false)
	}
	if damaged || next != len(elems) {
		return nil, fmt.Errorf("the schema in its footer is damaged (%d elements, not as many as they name)", len(elems))
	}
	return out, nil
}

// Column describes one leaf schema element: its physical type with the
// logical annotation, and the type expressions see ("" when unsupported).
func Column(e format.SchemaElement) featurestore.Column {
	phys, _ := e.Type.Get()
	rep, _ := e.RepetitionType.Get()
	col := featurestore.Column{Name: e.Name, Physical: phys.String(), Nullable: rep == format.Optional}
	if rep == format.Repeated {
		col.Physical = "REPEATED/" + col.Physical
		return col
	}
	conv, hasConv := e.ConvertedType.Get()
	switch lt := e.LogicalType.Value.(type) {
	case *format.TimestampType:
		col.Physical += fmt.Sprintf("/TIMESTAMP(%s,%s)", lt.Unit.String(), utc(lt.IsAdjustedToUTC))
		col.Type = transforms.Timestamp
		return col
	case *format.StringType, *format.EnumType, *format.JsonType:
		col.Physical += "/STRING"
		col.Type = transforms.String
		return col
	case *format.DateType:
		col.Physical += "/DATE"
		col.Type = transforms.Timestamp
		return col
	case *format.IntType:
		// A signed annotation of the physical width says nothing new:
		// pandas leaves it out, parquet-go writes it; both are plain.
		full := (phys == format.Int64 && lt.BitWidth == 64) || (phys == format.Int32 && lt.BitWidth == 32)
		if !(lt.IsSigned && full) {
			col.Physical += fmt.Sprintf("/INT(%d,%t)", lt.BitWidth, lt.IsSigned)
		}
		if lt.IsSigned || lt.BitWidth < 64 {
			col.Type = transforms.Int64
		}
		return col
	case nil:
	default:
		col.Physical += "/" + lt.String()
		return col
	}
	if hasConv {
		switch conv {
		case deprecated.UTF8, deprecated.Enum, deprecated.Json:
			col.Physical += "/STRING"
			col.Type = transforms.String
		case deprecated.TimestampMillis:
			col.Physical += "/TIMESTAMP(MILLIS,UTC)"
			col.Type = transforms.Timestamp
		case deprecated.TimestampMicros:
			col.Physical += "/TIMESTAMP(MICROS,UTC)"
			col.Type = transforms.Timestamp
		case deprecated.Date:
			col.Physical += "/DATE"
			col.Type = transforms.Timestamp
		case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64,
			deprecated.Uint8, deprecated.Uint16, deprecated.Uint32:
			// Legacy integer annotations (DuckDB writes them). A signed
			// annotation of the physical width is plain, as for IntType.
			full := (phys == format.Int64 && conv == deprecated.Int64) || (phys == format.Int32 && conv == deprecated.Int32)
			if !full {
				col.Physical += fmt.Sprintf("/CONVERTED(%d)", int(conv))
			}
			col.Type = transforms.Int64
		default:
			col.Physical += fmt.Sprintf("/CONVERTED(%d)", int(conv))
		}
		return col
	}
	switch phys {
	case format.Boolean:
		col.Type = transforms.Bool
	case format.Int32, format.Int64:
		col.Type = transforms.Int64
	case format.Float, format.Double:
		col.Type = transforms.Float64
	case format.Int96:
		col.Type = transforms.Timestamp
	}
	return col
}

func utc(b bool) string {
	if b {
		return "UTC"
	}
	return "LOCAL"
}
