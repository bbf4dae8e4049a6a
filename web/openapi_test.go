package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes: every /api/v1 route of the route table is in
// the OpenAPI document with the role it needs, and the document lists
// nothing else.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	f := newFixture(t, fixtureOptions{noSeed: true})
	wildcard := regexp.MustCompile(`\{(\w+)\.\.\.\}`)
	inTable := map[string]Role{}
	for _, rt := range f.srv.routes {
		if !strings.HasPrefix(rt.path, "/api/") {
			continue
		}
		path := wildcard.ReplaceAllString(rt.path, "{$1}")
		inTable[strings.ToLower(rt.method)+" "+path] = rt.role
	}
	inDoc := map[string]Role{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Role       string            `json:"x-dockside-role"`
				ID         string            `json:"operationId"`
				Responses  map[string]any    `json:"responses"`
				Parameters []json.RawMessage `json:"parameters"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if op.ID == "" || len(op.Responses) == 0 {
				t.Errorf("%s %s: no operationId or responses", method, path)
			}
			role := Role(op.Role)
			if op.Role == "public" {
				role = rolePublic
			}
			inDoc[method+" "+path] = role
		}
	}
	for k, role := range inTable {
		docRole, ok := inDoc[k]
		switch {
		case !ok:
			t.Errorf("route %s is not in openapi.json", k)
		case docRole != role:
			t.Errorf("route %s needs %q; openapi.json says %q", k, role, docRole)
		}
	}
	for k := range inDoc {
		if _, ok := inTable[k]; !ok {
			t.Errorf("openapi.json lists %s, which no route serves", k)
		}
	}
	if t.Failed() {
		keys := make([]string, 0, len(inTable))
		for k := range inTable {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Logf("routes: %s", strings.Join(keys, "\n"))
	}
	rec := f.do(request{target: "/api/v1/openapi.json"})
	if rec.Code != http.StatusOK || rec.Body.Len() != len(openAPIDoc) || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("serving the document: %d", rec.Code)
	}
}
