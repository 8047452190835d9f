package http

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/fs-dev/fs/featurestore"
)

// ResultSchema is the name of the component schema describing an
// operation's result: for a job, the job's result field.
func ResultSchema(op string) string { return strings.ToUpper(op[:1]) + op[1:] + "Result" }

// Document is the OpenAPI 3 description of the API, made from the route
// table the server dispatches on.
func Document() (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "fs", Version: featurestore.Version,
			Description: "fs's store served over HTTP: every result is the JSON the command line prints with --json. " +
				"Long use cases are jobs: they answer 202 with a Job; GET /api/v1/jobs/{id} gives its result once done."},
		Servers:    openapi3.Servers{{URL: Prefix}},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}, SecuritySchemes: openapi3.SecuritySchemes{}},
	}
	doc.Components.SecuritySchemes["bearer"] = &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("opaque")}
	gen := openapi3gen.NewGenerator(openapi3gen.SchemaCustomizer(customize))
	schema := func(v any) (*openapi3.SchemaRef, error) { return gen.NewSchemaRefForValue(v, doc.Components.Schemas) }
	errRef, err := schema(struct {
		Error ErrorBody `json:"error"`
	}{})
	if err != nil {
		return nil, err
	}
	doc.Components.Schemas["Error"] = errRef
	jobRef, err := schema(Job{})
	if err != nil {
		return nil, err
	}
	doc.Components.Schemas["Job"] = jobRef
	for _, rt := range routes {
		op, err := operation(rt, schema)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", rt.op, err)
		}
		if rt.result != nil {
			ref, err := schema(rt.result)
			if err != nil {
				return nil, fmt.Errorf("openapi: %s: %w", rt.op, err)
			}
			doc.Components.Schemas[ResultSchema(rt.op)] = ref
		}
		doc.AddOperation(rt.path, rt.method, op)
	}
	return doc, nil
}

// operation describes one route.
func operation(rt route, schema func(any) (*openapi3.SchemaRef, error)) (*openapi3.Operation, error) {
	op := openapi3.NewOperation()
	op.OperationID, op.Summary = rt.op, rt.summary
	if rt.role != RoleNone {
		op.Description = "Needs a token with the " + rt.role.String() + " role (when the server has tokens)."
		op.Security = &openapi3.SecurityRequirements{{"bearer": {}}}
	} else {
		op.Security = &openapi3.SecurityRequirements{}
	}
	for _, p := range rt.params {
		op.AddParameter(parameter(p))
	}
	if rt.body != nil {
		ref, err := schema(rt.body)
		if err != nil {
			return nil, err
		}
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(ref)}
	}
	errResp := openapi3.NewResponse().WithDescription("an error: code, message, detail, hint").
		WithJSONSchemaRef(openapi3.NewSchemaRef("#/components/schemas/Error", nil))
	op.Responses = openapi3.NewResponses()
	op.Responses.Delete("default")
	op.AddResponse(0, errResp)
	switch {
	case rt.job:
		op.AddResponse(202, openapi3.NewResponse().
			WithDescription("the job, started; its result, once done, is a "+ResultSchema(rt.op)).
			WithJSONSchemaRef(openapi3.NewSchemaRef("#/components/schemas/Job", nil)))
	case rt.resultType == "ndjson":
		op.AddResponse(200, openapi3.NewResponse().WithDescription("JSON lines").
			WithContent(openapi3.Content{"application/x-ndjson": openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())}))
	case rt.resultType == "svg":
		op.AddResponse(200, openapi3.NewResponse().WithDescription("an SVG drawing").
			WithContent(openapi3.Content{"image/svg+xml": openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())}))
	case rt.resultType == "parquet":
		op.AddResponse(200, openapi3.NewResponse().WithDescription("a parquet file (materialize, predict) or an HTML report (profile)").
			WithContent(openapi3.Content{
				"application/vnd.apache.parquet": openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema().WithFormat("binary")),
				"text/html":                      openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema()),
			}))
	case rt.result == nil:
		op.AddResponse(200, openapi3.NewResponse().WithDescription("the OpenAPI document").
			WithJSONSchema(openapi3.NewObjectSchema()))
	default:
		op.AddResponse(200, openapi3.NewResponse().WithDescription("the result: the command line's --json").
			WithJSONSchemaRef(openapi3.NewSchemaRef("#/components/schemas/"+ResultSchema(rt.op), nil)))
	}
	return op, nil
}

func parameter(p param) *openapi3.Parameter {
	var s *openapi3.Schema
	switch {
	case p.integer:
		s = openapi3.NewIntegerSchema().WithMin(0)
	case p.many:
		s = openapi3.NewArraySchema().WithItems(openapi3.NewStringSchema())
	default:
		s = openapi3.NewStringSchema()
	}
	out := &openapi3.Parameter{Name: p.name, In: p.in, Description: p.doc, Required: p.required, Schema: s.NewRef()}
	return out
}

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
)

// customize describes types whose JSON is not their Go shape: ids and
// times are strings, a metric may be null, a run detail is a run or a
// sweep; nil slices and maps are null.
func customize(name string, t reflect.Type, tag reflect.StructTag, s *openapi3.Schema) error {
	nullable := s.Nullable
	switch {
	case implements(t, textMarshaler):
		format := ""
		if t.String() == "time.Time" || t.String() == "app.Time" {
			format = "date-time"
		}
		*s = openapi3.Schema{Type: &openapi3.Types{"string"}, Format: format, Nullable: nullable}
	case implements(t, jsonMarshaler) && t.Kind() == reflect.Float64:
		*s = openapi3.Schema{Type: &openapi3.Types{"number"}, Nullable: true}
	case implements(t, jsonMarshaler) && t.Kind() == reflect.Struct && t.Name() == "RunDetail":
		*s = openapi3.Schema{Type: &openapi3.Types{"object"}, Description: "a run, or {sweep, runs} for a sweep"}
	case implements(t, jsonMarshaler) && t.Kind() == reflect.Struct:
		for _, p := range s.Properties { // metrics: undefined ones are null
			if p.Value != nil && p.Value.Type.Is("number") {
				p.Value.Nullable = true
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Interface:
		s.Nullable = true
	}
	return nil
}

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}
