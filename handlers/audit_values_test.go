package handlers

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"paydesk/store"
	"paydesk/views/pages"
)

func TestAuditValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		max  int
		want []pages.AuditValue
	}{
		{"empty", ``, 0, nil},
		{"null", `null`, 0, nil},
		{"an amount in its currency", `{"amount":{"currency":"SGD","value":"23000"},"refundRequestId":"R-1","reason":"broken"}`, 0,
			[]pages.AuditValue{{Label: "amount", Value: "230.00 SGD"}, {Label: "reason", Value: "broken"}, {Label: "refundRequestId", Value: "R-1"}}},
		{"no decimals", `{"amount":{"currency":"JPY","value":"1000"}}`, 0, []pages.AuditValue{{Label: "amount", Value: "1,000 JPY"}}},
		{"three decimals", `{"amount":{"value":"1234","currency":"KWD"}}`, 0, []pages.AuditValue{{Label: "amount", Value: "1.234 KWD"}}},
		{"an unknown currency stays JSON", `{"amount":{"currency":"XYZ","value":"5"}}`, 0, []pages.AuditValue{{Label: "amount", Value: `{"currency":"XYZ","value":"5"}`}}},
		{"a bad value stays JSON", `{"amount":{"currency":"SGD","value":"12.5"}}`, 0, []pages.AuditValue{{Label: "amount", Value: `{"currency":"SGD","value":"12.5"}`}}},
		{"numbers and booleans", `{"disabled":true,"n":3}`, 0, []pages.AuditValue{{Label: "disabled", Value: "true"}, {Label: "n", Value: "3"}}},
		{"not an object", `"text"`, 0, []pages.AuditValue{{Label: "", Value: `"text"`}}},
		{"bounded", `{"reason":"abcdefghij"}`, 4, []pages.AuditValue{{Label: "reason", Value: "abcd…"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := auditValues(json.RawMessage(tc.raw), tc.max)
			if !slices.Equal(got, tc.want) {
				t.Errorf("auditValues(%s) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestAuditEntryAmount(t *testing.T) {
	e := store.AuditEntry{Before: json.RawMessage(`{"status":"SUCCESS"}`), After: json.RawMessage(`{"amount":{"currency":"SGD","value":"23000"}}`)}
	minor, cur, ok := auditEntryAmount(&e)
	if !ok || minor != 23000 || cur != "SGD" {
		t.Errorf("auditEntryAmount = %d %s %v, want 23000 SGD", minor, cur, ok)
	}
	if _, _, ok := auditEntryAmount(&store.AuditEntry{}); ok {
		t.Error("an entry without an amount has one")
	}
	if got := auditValuesText([]pages.AuditValue{{Label: "amount", Value: "230.00 SGD"}, {Label: "reason", Value: "x"}}); got != "amount: 230.00 SGD; reason: x" {
		t.Errorf("auditValuesText = %q", got)
	}
}

// An audit value with many fields shows a bounded number of them.
func TestAuditValuesAreBounded(t *testing.T) {
	obj := map[string]string{}
	for i := range 50 {
		obj[fmt.Sprintf("k%02d", i)] = "v"
	}
	raw, _ := json.Marshal(obj)
	vs := auditValues(raw, 200)
	if len(vs) != auditFieldsShown+1 || vs[auditFieldsShown].Label != "…" {
		t.Fatalf("%d values, last %+v; want %d and a '…' line", len(vs), vs[len(vs)-1], auditFieldsShown+1)
	}
}
