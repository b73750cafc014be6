package handlers

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"paydesk/store"
)

// The OpenAPI document's Failure schema is apiFailure: the same properties,
// the required ones are those without omitempty, and the enums are the
// store's.
func TestOpenAPIFailureMatchesCode(t *testing.T) {
	doc := openAPIDoc(t)
	schema := dig(t, doc, "components", "schemas", "Failure")
	props := dig(t, schema, "properties").(map[string]any)
	var docProps, codeProps, codeRequired []string
	for k := range props {
		docProps = append(docProps, k)
	}
	typ := reflect.TypeFor[apiFailure]()
	for i := range typ.NumField() {
		name, opts, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		codeProps = append(codeProps, name)
		if !strings.Contains(opts, "omitempty") {
			codeRequired = append(codeRequired, name)
		}
	}
	sort.Strings(docProps)
	sort.Strings(codeProps)
	if !slices.Equal(docProps, codeProps) {
		t.Errorf("Failure properties %v, want %v", docProps, codeProps)
	}
	required := enumOf(t, dig(t, schema, "required"))
	sort.Strings(required)
	sort.Strings(codeRequired)
	if !slices.Equal(required, codeRequired) {
		t.Errorf("Failure required %v, want %v", required, codeRequired)
	}
	var stoppedBy, retry []string
	for _, s := range store.StoppedByValues {
		stoppedBy = append(stoppedBy, string(s))
	}
	for _, r := range store.RetryValues {
		retry = append(retry, string(r))
	}
	if got := enumOf(t, dig(t, props, "stoppedBy", "enum")); !slices.Equal(got, stoppedBy) {
		t.Errorf("stoppedBy enum %v, want %v", got, stoppedBy)
	}
	if got := enumOf(t, dig(t, props, "retry", "enum")); !slices.Equal(got, retry) {
		t.Errorf("retry enum %v, want %v", got, retry)
	}
	if ref, _ := json.Marshal(dig(t, doc, "components", "schemas", "PaymentDetail", "allOf")); !strings.Contains(string(ref), "#/components/schemas/Failure") {
		t.Error("PaymentDetail does not refer to Failure")
	}
}

// A failed payment's failure object carries the store's explanation; a
// paid one has none.
func TestFailureOf(t *testing.T) {
	f := failureOf(store.FailureInput{Status: store.StatusFail, ResultCode: "DO_NOT_HONOR", MerchantAdviceCode: "03"})
	if f == nil || f.StoppedBy != "issuer" || f.Retry != "another_card" || !f.Retryable || f.AdviceCode != "03" || f.AdviceMeaning == "" || f.Unknown {
		t.Errorf("got %+v", f)
	}
	f = failureOf(store.FailureInput{Status: store.StatusFail, ResultCode: "ORDER_IS_CANCELED"})
	if f == nil || f.Retryable || f.Retry != "no" {
		t.Errorf("got %+v", f)
	}
	if f := failureOf(store.FailureInput{Status: store.StatusSuccess, Paid: true}); f != nil {
		t.Errorf("paid: got %+v", f)
	}
}
