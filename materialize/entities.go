package materialize

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/transforms"
)

// Entities is an entity file read into columns, in file order: the join
// keys typed as their sources type them, the event timestamp as UTC
// nanoseconds, other columns (labels) passed through.
type Entities struct {
	Path            string
	Digest          string // sha256 of the file's bytes
	TimestampColumn string
	Table           *featurestore.Table
}

// ReadEntities reads a CSV (comma or tab separated, detected from the header
// line; a header row) or parquet entity file. keys gives each join key
// column the type its source has.
func ReadEntities(ctx context.Context, path, tsCol string, keys map[string]transforms.Type) (*Entities, error) {
	return ReadRows(ctx, path, tsCol, keys, nil)
}

// ReadRows reads a file as ReadEntities does, a CSV file's other columns
// parsed as types gives them when it names them (fs push: a source's
// columns).
func ReadRows(ctx context.Context, path, tsCol string, keys, types map[string]transforms.Type) (*Entities, error) {
	data, err := readEntityFile(ctx, path)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "cannot read the entity file %s: %v", path, rootCause(err)).
			WithHint("give a CSV or parquet file with the join keys and an %s column", tsCol)
	}
	digest := make(chan [sha256.Size]byte, 1) // hashed while the rows are read
	go func() { digest <- sha256.Sum256(data) }()
	e := &Entities{Path: path, TimestampColumn: tsCol}
	if bytes.HasPrefix(data, []byte("PAR1")) {
		e.Table, err = readParquetEntities(ctx, path, tsCol, keys)
	} else {
		e.Table, err = readCSVEntities(path, data, tsCol, keys, types)
	}
	sum := <-digest
	if err != nil {
		return nil, err
	}
	e.Digest = hex.EncodeToString(sum[:])
	return e, nil
}

// readEntityFile reads a regular file (a FIFO would block) small enough
// that its parsed rows fit in fs's memory limit (CSV fields take about
// four times their text).
func readEntityFile(ctx context.Context, path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("it is not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size()*4 > membudget.FromContext(ctx).Ceiling {
		return nil, fmt.Errorf("it is %d bytes; parsed, it would pass fs's memory limit (FS_MEMORY_LIMIT)", fi.Size())
	}
	return os.ReadFile(path)
}

func rootCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func missingColumn(path, col string, have []string, what string) error {
	hint := fmt.Sprintf("the file's columns are %s", strings.Join(have, ", "))
	if s := transforms.Suggest(col, have); s != "" {
		hint = s
	}
	if what == "timestamp" {
		hint += "; --timestamp-column names another event time column"
	}
	return featurestore.Errorf(featurestore.EINVALID, "%s has no %s column %q", path, what, col).WithHint("%s", hint)
}

func readParquetEntities(ctx context.Context, path, tsCol string, keys map[string]transforms.Type) (*featurestore.Table, error) {
	schema, err := parquet.FileSchema(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range schema {
		if c.Type == "" {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s: column %s has parquet type %s, which fs cannot pass through", path, c.Name, c.Physical).
				WithHint("drop the column from the entity file")
		}
		names = append(names, c.Name)
	}
	for k, kt := range keys {
		c, ok := schema.Lookup(k)
		if !ok {
			return nil, missingColumn(path, k, names, "join key")
		}
		if c.Type != kt {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s: join key %s is %s but the source's is %s", path, k, c.Type, kt).
				WithHint("write the key with the source's type")
		}
	}
	c, ok := schema.Lookup(tsCol)
	if !ok {
		return nil, missingColumn(path, tsCol, names, "timestamp")
	}
	t, _, err := parquet.ReadTable(ctx, []string{path}, names)
	if err != nil {
		return nil, err
	}
	if c.Type == transforms.String {
		// Timestamps written as text: parse them like CSV.
		s := t.Lookup(tsCol)
		ts := featurestore.NewSeries(tsCol, transforms.Timestamp, t.Rows)
		for i := 0; i < t.Rows; i++ {
			if s.Null(i) {
				return nil, featurestore.Errorf(featurestore.EINVALID, "%s: row %d has no %s", path, i+1, tsCol)
			}
			v, err := ParseTime(s.Str[i])
			if err != nil {
				return nil, featurestore.Errorf(featurestore.EINVALID, "%s: row %d, column %s: %v", path, i+1, tsCol, err).
					WithHint("use RFC 3339 (2021-04-16T20:29:28Z) or 2021-04-16 20:29:28+00:00; no zone means UTC")
			}
			ts.I64[i] = v.UnixNano()
		}
		for i, ser := range t.Series {
			if ser.Name == tsCol {
				t.Series[i] = ts
			}
		}
	} else if c.Type != transforms.Timestamp {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s: column %s is %s, not a timestamp", path, tsCol, c.Physical).
			WithHint("--timestamp-column names the event time column")
	}
	ts := t.Lookup(tsCol)
	for i := 0; i < t.Rows; i++ {
		if ts.Null(i) {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s: row %d has no %s", path, i+1, tsCol).
				WithHint("every entity row needs an event time")
		}
	}
	return t, nil
}

// readCSVEntities parses CSV or TSV text. Keys are parsed as their source
// types, the timestamp column as timestamps; every other column is int64
// when all its values are integers, float64 when all are numbers, bool when
// all are true/false, string otherwise. An empty field is null.
func readCSVEntities(path string, data []byte, tsCol string, keys, types map[string]transforms.Type) (*featurestore.Table, error) {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bufio.NewReader(bytes.NewReader(data)))
	if bytes.Contains(first, []byte("\t")) {
		r.Comma = '\t'
	}
	r.ReuseRecord = false
	header, err := r.Read()
	if err == io.EOF {
		return nil, featurestore.Errorf(featurestore.EINVALID, "%s is empty", path).WithHint("the first line names the columns")
	}
	if err != nil {
		return nil, csvError(path, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	seen := map[string]bool{}
	for _, h := range header {
		if seen[h] {
			return nil, featurestore.Errorf(featurestore.EINVALID, "%s: column %q appears twice in the header", path, h)
		}
		seen[h] = true
	}
	var records [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(path, err)
		}
		records = append(records, rec)
	}
	n := len(records)
	if !seen[tsCol] {
		return nil, missingColumn(path, tsCol, header, "timestamp")
	}
	for k := range keys {
		if !seen[k] {
			return nil, missingColumn(path, k, header, "join key")
		}
	}
	t := &featurestore.Table{Rows: n}
	for ci, name := range header {
		typ := keys[name]
		switch {
		case name == tsCol:
			typ = transforms.Timestamp
		case typ == "" && types[name] != "":
			typ = types[name]
		case typ == "":
			typ = inferType(records, ci)
		}
		s := featurestore.NewSeries(name, typ, n)
		for ri, rec := range records {
			v := strings.TrimSpace(rec[ci])
			line := ri + 2
			if v == "" {
				if name == tsCol {
					return nil, featurestore.Errorf(featurestore.EINVALID, "%s:%d: column %s is empty", path, line, name).
						WithHint("every entity row needs an event time")
				}
				s.SetNull(ri, n)
				continue
			}
			if err := setParsed(s, ri, v); err != nil {
				hint := "fix the value or remove the row"
				if typ == transforms.Timestamp {
					hint = "use RFC 3339 (2021-04-16T20:29:28Z) or 2021-04-16 20:29:28+00:00; no zone means UTC"
				} else if _, isKey := keys[name]; isKey {
					hint = fmt.Sprintf("the source's %s is %s", name, typ)
				}
				return nil, featurestore.Errorf(featurestore.EINVALID, "%s:%d: column %s: %v", path, line, name, err).WithHint("%s", hint)
			}
		}
		t.Series = append(t.Series, s)
	}
	return t, nil
}

func csvError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return featurestore.Errorf(featurestore.EINVALID, "%s:%d:%d: %v", path, pe.Line, pe.Column, pe.Err).
			WithHint("each line needs as many fields as the header; quote fields that hold the separator")
	}
	return featurestore.Errorf(featurestore.EINVALID, "%s: %v", path, err)
}

func setParsed(s *featurestore.Series, i int, v string) error {
	switch s.Type {
	case transforms.Timestamp:
		t, err := ParseTime(v)
		if err != nil {
			return err
		}
		s.I64[i] = t.UnixNano()
	case transforms.Int64:
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", v)
		}
		s.I64[i] = x
	case transforms.Float64:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		s.F64[i] = x
	case transforms.Bool:
		x, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		s.Bool[i] = x
	case transforms.String:
		s.Str[i] = v
	}
	return nil
}

func inferType(records [][]string, ci int) transforms.Type {
	isInt, isFloat, isBool, any := true, true, true, false
	for _, rec := range records {
		v := strings.TrimSpace(rec[ci])
		if v == "" {
			continue
		}
		any = true
		if isInt {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				isInt = false
			}
		}
		if isFloat {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				isFloat = false
			}
		}
		if isBool {
			if v != "true" && v != "false" && v != "True" && v != "False" {
				isBool = false
			}
		}
	}
	switch {
	case !any:
		return transforms.String
	case isInt:
		return transforms.Int64
	case isFloat:
		return transforms.Float64
	case isBool:
		return transforms.Bool
	}
	return transforms.String
}
