package antom_test

import (
	"testing"

	"paydesk/antom"
)

func TestSDKCodes(t *testing.T) {
	kinds := map[antom.SDKCodeKind]bool{antom.SDKKindResult: true, antom.SDKKindForm: true, antom.SDKKindStatus: true, antom.SDKKindError: true}
	seen := map[string]bool{}
	for _, c := range antom.SDKCodes() {
		if seen[c.Code] {
			t.Errorf("%s: listed twice", c.Code)
		}
		seen[c.Code] = true
		if !kinds[c.Kind] {
			t.Errorf("%s: got kind %q, want one of result, form, status, error", c.Code, c.Kind)
		}
		if c.Meaning == "" || c.Action == "" {
			t.Errorf("%s: got meaning %q, action %q; want both", c.Code, c.Meaning, c.Action)
		}
		if got, ok := antom.LookupSDKCode(c.Code); !ok || got != c {
			t.Errorf("LookupSDKCode(%s) = %+v, %v; want %+v, true", c.Code, got, ok, c)
		}
	}
	if len(seen) != 12 {
		t.Errorf("got %d codes, want the seed's 12", len(seen))
	}
	for _, code := range []string{"", "sdk_payment_successful", "SDK_PAYMENT_SUCCESSFUL "} {
		if _, ok := antom.LookupSDKCode(code); ok {
			t.Errorf("LookupSDKCode(%q) found a code; want none (codes match exactly)", code)
		}
	}
	// Returned slices are copies: a caller cannot edit the catalogue.
	antom.SDKCodes()[0].Code = "changed"
	if antom.SDKCodes()[0].Code != antom.SDKPaymentSuccessful {
		t.Error("SDKCodes returned the catalogue itself, not a copy")
	}
}
