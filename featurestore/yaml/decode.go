package yaml

import (
	"fmt"
	"strings"

	goyaml "github.com/goccy/go-yaml"

	"github.com/fs-dev/fs/featurestore"
)

// DecodeFile reads a small YAML file of another kind (fs validate's
// expectations) into v under the same rules as a definition file: a
// regular file within MaxFileBytes, nesting and aliases bounded, unknown
// fields refused, and every error at file:line:column with the line and a
// caret. hint is said with a syntax or field error.
func DecodeFile(path string, v any, hint string) error {
	data, err := ReadBounded(path, hint)
	if err != nil {
		return err
	}
	return Decode(path, data, v, hint)
}

// ReadBounded reads a small YAML file (at most MaxFileBytes) for Decode;
// hint is said when it cannot.
func ReadBounded(path, hint string) ([]byte, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, &featurestore.Error{Code: featurestore.EINVALID, Message: fmt.Sprintf("cannot read %s", path),
			Err: unwrapPathError(err), Hint: hint}
	}
	return data, nil
}

// Decode is DecodeFile on content already read; name is the file's name
// in messages.
func Decode(name string, data []byte, v any, hint string) error {
	if len(data) > MaxFileBytes {
		return featurestore.Errorf(featurestore.EINVALID, "%s is %d bytes; at most %d MiB", name, len(data), MaxFileBytes>>20)
	}
	defs := &featurestore.Definitions{File: name}
	if err := checkFlowNesting(defs, data); err != nil {
		return err
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if err := goyaml.UnmarshalWithOptions(data, v, goyaml.Strict()); err != nil {
		e := yamlError(defs, lines, err)
		if fe, ok := e.(*featurestore.Error); ok {
			fe.Hint = hint
		}
		return e
	}
	return nil
}
