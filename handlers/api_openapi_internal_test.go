package handlers

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"paydesk/store"
)

// openAPIDoc is the embedded document, decoded loosely.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// dig follows keys through nested objects.
func dig(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("openapi.json: no object at %q (path %v)", k, keys)
		}
		v = m[k]
	}
	return v
}

func enumOf(t *testing.T, v any) []string {
	t.Helper()
	raw, ok := v.([]any)
	if !ok {
		t.Fatalf("not an enum: %v", v)
	}
	out := make([]string, len(raw))
	for i, e := range raw {
		out[i] = e.(string)
	}
	return out
}

// Every $ref resolves, and each operation states its auth and parameters.
func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := openAPIDoc(t)
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				target := any(doc)
				for _, k := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := target.(map[string]any)
					target = m[k]
				}
				if target == nil {
					t.Errorf("%s: $ref %s does not resolve", at, ref)
				}
			}
			for k, e := range x {
				walk(e, at+"/"+k)
			}
		case []any:
			for _, e := range x {
				walk(e, at)
			}
		}
	}
	walk(doc, "")
	for p, ops := range dig(t, doc, "paths").(map[string]any) {
		for method, op := range ops.(map[string]any) {
			o := op.(map[string]any)
			responses := o["responses"].(map[string]any)
			if sec, ok := o["security"].([]any); !(ok && len(sec) == 0) && responses["401"] == nil {
				t.Errorf("%s %s: authenticated but documents no 401", method, p)
			}
			params, _ := o["parameters"].([]any)
			for _, name := range []string{"paymentRequestId"} {
				if strings.Contains(p, "{"+name+"}") && !slices.ContainsFunc(params, func(v any) bool {
					m := v.(map[string]any)
					return m["name"] == name && m["in"] == "path"
				}) {
					t.Errorf("%s %s: path parameter %s not declared", method, p, name)
				}
			}
		}
	}
}

// The document's enums are the code's.
func TestOpenAPIEnumsMatchCode(t *testing.T) {
	doc := openAPIDoc(t)
	schemas := dig(t, doc, "components", "schemas")
	var codes []string
	for _, c := range store.SDKCodes() {
		codes = append(codes, c.Code)
	}
	for _, at := range [][]string{{"SDKEventRequest", "properties", "eventCode", "enum"}, {"SDKEvent", "properties", "eventCode", "enum"}} {
		if got := enumOf(t, dig(t, schemas, at...)); !slices.Equal(got, codes) {
			t.Errorf("%v: got %v, want %v", at, got, codes)
		}
	}
	var statuses []string
	for _, s := range store.PaymentStatuses {
		statuses = append(statuses, string(s))
	}
	if got := enumOf(t, dig(t, schemas, "Payment", "properties", "status", "enum")); !slices.Equal(got, statuses) {
		t.Errorf("status enum %v, want %v", got, statuses)
	}
	if got := enumOf(t, dig(t, schemas, "Payment", "properties", "displayStatus", "enum")); !slices.Equal(got, displayKeys()) {
		t.Errorf("displayStatus enum %v, want %v", got, displayKeys())
	}
	if got := enumOf(t, dig(t, schemas, "Amount", "properties", "currency", "enum")); !slices.Equal(got, sessionCurrencies) {
		t.Errorf("currency enum %v, want %v", got, sessionCurrencies)
	}
	var states []string
	for _, s := range captureStates {
		states = append(states, string(s))
	}
	if got := enumOf(t, dig(t, schemas, "Payment", "properties", "captureState", "enum")); !slices.Equal(got, states) {
		t.Errorf("captureState enum %v, want %v", got, states)
	}
	flags := enumOf(t, dig(t, schemas, "Flag", "properties", "code", "enum"))
	for bit := store.Flag(1); bit != 0 && bit <= allFlags(); bit <<= 1 {
		if allFlags()&bit != 0 && !slices.Contains(flags, bit.String()) {
			t.Errorf("flag %s is not in the Flag enum", bit)
		}
	}
	var scopes []string
	for _, sc := range store.APIScopes() {
		scopes = append(scopes, string(sc))
	}
	if got := enumOf(t, dig(t, schemas, "Error", "properties", "error", "properties", "scope", "enum")); !slices.Equal(got, scopes) {
		t.Errorf("error scope enum %v, want %v", got, scopes)
	}
	errCodes := enumOf(t, dig(t, schemas, "Error", "properties", "error", "properties", "code", "enum"))
	for _, c := range []string{codeInvalidJSON, codeInvalidParameter, codeForbiddenPayment, codePaymentNotFound,
		codeIdempotencyConflict, codeBodyTooLarge, codeUnsupportedMedia, codeValidationFailed, codeUnknownEventCode,
		codeMissingAPIKey, codeInvalidAPIKey, codeInvalidClientSecret, codeClientSecretExpired, codeInsufficientScope} {
		if !slices.Contains(errCodes, c) {
			t.Errorf("error code %s is not in the Error enum", c)
		}
	}
}

// Every flag the store can set has an explanation, and explanations come
// most urgent first.
func TestFlagExplanations(t *testing.T) {
	for bit := store.Flag(1); bit.String() != ""; bit <<= 1 {
		v := FlagExplanations(bit)
		if len(v) != 1 || v[0].Code != bit.String() || v[0].Meaning == "" || v[0].Action == "" || v[0].Title == "" || v[0].Label == "" {
			t.Errorf("flag %s: got %+v", bit, v)
		}
		if strings.HasPrefix(v[0].Meaning, "Paydesk flagged") {
			t.Errorf("flag %s has only the generic explanation", bit)
		}
	}
	got := FlagExplanations(store.FlagUnknownOutcome | store.FlagSDKFailServerSuccess)
	if len(got) != 2 || got[0].Code != "sdk_fail_server_success" {
		t.Errorf("order: got %+v, want the buyer-facing disagreement first", got)
	}
	if got := FlagExplanations(0); len(got) != 0 {
		t.Errorf("no flags: got %+v", got)
	}
}
