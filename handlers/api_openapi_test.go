package handlers_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"paydesk/handlers"
	"paydesk/views/paths"
)

var (
	echoParam    = regexp.MustCompile(`:[^/]+`)
	openAPIParam = regexp.MustCompile(`\{[^}/]+\}`)
)

// Every route under /api/v1 is documented with its method, and every
// documented operation is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	// The document served is the one embedded.
	r := app.call(http.MethodGet, paths.APIOpenAPI, "", nil).want(t, http.StatusOK)
	if string(r.Body) != string(handlers.OpenAPIDocument()) {
		t.Fatal("served document differs from the embedded one")
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	routed := map[string]bool{}
	for _, rt := range app.Srv.Echo().Routes() {
		if rt.Path == paths.APIPrefix || strings.HasPrefix(rt.Path, paths.APIPrefix+"/") {
			routed[rt.Method+" "+echoParam.ReplaceAllString(rt.Path, "{}")] = true
		}
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				documented[strings.ToUpper(method)+" "+openAPIParam.ReplaceAllString(p, "{}")] = true
			}
		}
	}
	if len(routed) < 5 {
		t.Fatalf("only %d API routes found: %v", len(routed), routed)
	}
	for op := range routed {
		if !documented[op] {
			t.Errorf("route %s is not in openapi.json", op)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("openapi.json documents %s, which is not routed", op)
		}
	}
}
