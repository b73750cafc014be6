package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/components"
	"paydesk/views/pages"
)

// auditValueMax bounds one value's text on the audit page; the CSV keeps
// the whole value.
const auditValueMax = 200

// auditValues renders the before or after of an audit entry for people:
// one field per top-level key, in key order, with amounts (Antom's
// {"currency","value"} in minor units) in their currency's decimals and
// code ("230.00 SGD", never "value":"23000"). Strings are shown as they
// are, other values as compact JSON. JSON that is not an object is one
// field without a label. max bounds each value (0: no bound).
func auditValues(raw json.RawMessage, max int) []pages.AuditValue {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return []pages.AuditValue{{Value: bound(string(raw), max)}}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]pages.AuditValue, 0, min(len(keys), auditFieldsShown+1))
	for i, k := range keys {
		if i == auditFieldsShown {
			out = append(out, pages.AuditValue{Label: "…", Value: fmt.Sprintf("%d more fields (in the CSV)", len(keys)-i)})
			break
		}
		out = append(out, pages.AuditValue{Label: bound(k, auditKeyMax), Value: bound(auditValueText(obj[k]), max)})
	}
	return out
}

// auditFieldsShown bounds the fields one audit value shows on the page,
// and auditKeyMax the length of a field's name.
const (
	auditFieldsShown = 20
	auditKeyMax      = 64
)

// auditValueText is one JSON value as text: an amount formatted, a string
// unquoted, anything else compact JSON.
func auditValueText(v json.RawMessage) string {
	if a, ok := auditAmount(v); ok {
		return a
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return string(v)
	}
	return buf.String()
}

// auditAmount formats v when it is an amount: an object of exactly a known
// currency and a value in its minor units.
func auditAmount(v json.RawMessage) (string, bool) {
	minor, currency, ok := amountOf(v)
	if !ok {
		return "", false
	}
	return components.FormatAmount(minor, currency), true
}

// amountOf reads an amount object {"currency":"SGD","value":"23000"}.
func amountOf(v json.RawMessage) (minor int64, currency string, ok bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(v, &fields); err != nil || len(fields) != 2 {
		return 0, "", false
	}
	var a antom.Amount
	if err := json.Unmarshal(v, &a); err != nil || a.Currency == "" || a.Value == "" {
		return 0, "", false
	}
	if _, err := antom.Exponent(a.Currency); err != nil {
		return 0, "", false
	}
	minor, err := a.Minor()
	if err != nil {
		return 0, "", false
	}
	return minor, a.Currency, true
}

// auditEntryAmount is the amount an entry records (its after's, else its
// before's "amount"), for the CSV's amount columns.
func auditEntryAmount(e *store.AuditEntry) (minor int64, currency string, ok bool) {
	for _, raw := range []json.RawMessage{e.After, e.Before} {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			continue
		}
		if v, has := obj["amount"]; has {
			if minor, currency, ok = amountOf(v); ok {
				return minor, currency, true
			}
		}
	}
	return 0, "", false
}

// auditValuesText joins fields for one CSV cell: "amount: 230.00 SGD;
// refundRequestId: R1".
func auditValuesText(vs []pages.AuditValue) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		if v.Label == "" {
			parts = append(parts, v.Value)
		} else {
			parts = append(parts, v.Label+": "+v.Value)
		}
	}
	return strings.Join(parts, "; ")
}

// bound cuts s to max runes ("…" added); max 0 keeps it whole.
func bound(s string, max int) string {
	if max <= 0 {
		return s
	}
	return components.Truncate(s, max)
}
