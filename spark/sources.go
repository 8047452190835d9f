package spark

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/spark-connect-go/spark/sql/types"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/transforms"
)

var _ materialize.Sources = (*Engine)(nil)

// Files lists a source's parquet files where they are (Spark's
// binaryFile source, which reads no content for this), in fs's path order.
func (p *Engine) Files(ctx context.Context, path string) ([]string, error) {
	rows, err := p.collect(ctx, fmt.Sprintf("SELECT path FROM binaryFile.%s WHERE path LIKE '%%.parquet'", quote(path)))
	if err != nil {
		return nil, p.failed("list "+path, err)
	}
	var files []string
	for _, r := range rows {
		files = append(files, fmt.Sprint(r.At(0)))
	}
	if len(files) == 0 {
		return nil, featurestore.Errorf(featurestore.EINVALID, "Spark finds no parquet file at %s", path).
			WithHint("give the path of a parquet file, a directory of them or a glob, as Spark reads it")
	}
	sort.Strings(files)
	return files, nil
}

// Schema is the columns of a source as Spark reads them, typed as fs types
// them; the physical names are Spark's (a source read through Spark is
// always read through it, so its versions compare like with like).
func (p *Engine) Schema(ctx context.Context, path string) (featurestore.Schema, error) {
	df, err := p.session.Sql(ctx, fmt.Sprintf("SELECT * FROM %s LIMIT 0", table(path)))
	if err != nil {
		return nil, p.failed("read the schema of "+path, err)
	}
	st, err := df.Schema(ctx)
	if err != nil {
		return nil, p.failed("read the schema of "+path, err)
	}
	var out featurestore.Schema
	for _, f := range st.Fields {
		t, phys := columnType(f.DataType)
		out = append(out, featurestore.Column{Name: f.Name, Type: t, Physical: phys})
	}
	return out, nil
}

// columnType maps a Spark type to fs's; "" for a type fs does not read.
func columnType(t types.DataType) (transforms.Type, string) {
	name := strings.ToLower(t.TypeName())
	switch {
	case strings.HasPrefix(name, "long"), strings.HasPrefix(name, "integer"), strings.HasPrefix(name, "short"), strings.HasPrefix(name, "byte"):
		return transforms.Int64, "spark:" + name
	case strings.HasPrefix(name, "double"), strings.HasPrefix(name, "float"):
		return transforms.Float64, "spark:" + name
	case strings.HasPrefix(name, "string"):
		return transforms.String, "spark:" + name
	case strings.HasPrefix(name, "boolean"):
		return transforms.Bool, "spark:" + name
	case strings.HasPrefix(name, "timestamp"):
		return transforms.Timestamp, "spark:" + name
	}
	return "", "spark:" + name
}

// Rows counts the rows of all the files.
func (p *Engine) Rows(ctx context.Context, files []string) (int64, error) {
	var parts []string
	for _, f := range files {
		parts = append(parts, "SELECT count(*) AS n FROM "+table(f))
	}
	rows, err := p.collect(ctx, "SELECT sum(n) FROM ("+strings.Join(parts, " UNION ALL ")+")")
	if err != nil || len(rows) == 0 {
		return 0, p.failed("count the rows of the source", err)
	}
	var n int64
	fmt.Sscan(fmt.Sprint(rows[0].At(0)), &n)
	return n, nil
}

// Digests hashes each file where it is: its size and SHA-256 computed on
// the executors (binaryFile, sha2).
func (p *Engine) Digests(ctx context.Context, files []string) ([]featurestore.FileSnapshot, error) {
	var parts []string
	for _, f := range files {
		parts = append(parts, "SELECT path, length, sha2(content, 256) AS sha FROM binaryFile."+quote(f))
	}
	rows, err := p.collect(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return nil, p.failed("hash the source's files", err)
	}
	byPath := map[string]featurestore.FileSnapshot{}
	for _, r := range rows {
		var size int64
		fmt.Sscan(fmt.Sprint(r.At(1)), &size)
		byPath[fmt.Sprint(r.At(0))] = featurestore.FileSnapshot{Path: fmt.Sprint(r.At(0)), Size: size, SHA256: fmt.Sprint(r.At(2))}
	}
	out := make([]featurestore.FileSnapshot, 0, len(files))
	for _, f := range files {
		fsnap, ok := byPath[f]
		if !ok {
			return nil, featurestore.Errorf(featurestore.EINVALID, "Spark did not hash %s", f).
				WithHint("the file may have gone while fs read the source; run the command again")
		}
		out = append(out, fsnap)
	}
	return out, nil
}

func (p *Engine) collect(ctx context.Context, query string) ([]types.Row, error) {
	df, err := p.session.Sql(ctx, query)
	if err != nil {
		return nil, err
	}
	return df.Collect(ctx)
}
