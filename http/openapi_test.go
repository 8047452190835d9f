package http

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The document made from the route table is valid OpenAPI 3 and names
// every route.
func TestDocumentIsValid(t *testing.T) {
	doc, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		if loaded.Paths.Find(rt.path) == nil || loaded.Paths.Find(rt.path).GetOperation(rt.method) == nil {
			t.Errorf("%s %s is not in the document", rt.method, rt.path)
		}
	}
}
