package handlers

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
)

func TestThreeDSText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   *store.ThreeDS
		want string
	}{
		{"none", nil, ""},
		{"challenged", &store.ThreeDS{Challenged: true, ECI: "05"}, "Challenged, authenticated (ECI 05)"},
		{"challenged with version", &store.ThreeDS{Challenged: true, ECI: "02", Version: "2.2.0"}, "Challenged, authenticated (ECI 02); version 2.2.0"},
		{"challenged, failed", &store.ThreeDS{Challenged: true, ECI: "07", StatusReason: "01"}, "Challenged, not authenticated (ECI 07); status reason 01"},
		{"exemption", &store.ThreeDS{Exemption: "LOW_RISK", Offered: true}, "Frictionless (exemption LOW_RISK)"},
		{"cancelled", &store.ThreeDS{ChallengeCancel: "01", Offered: true}, "Challenge cancelled by the buyer (code 01)"},
		{"timed out", &store.ThreeDS{ChallengeCancel: "04"}, "Challenge timed out at the issuer (code 04)"},
		{"unknown cancel code", &store.ThreeDS{ChallengeCancel: "99"}, "Challenge not completed (code 99)"},
		{"frictionless", &store.ThreeDS{ECI: "05", Version: "2.1.0"}, "Frictionless, authenticated (ECI 05); version 2.1.0"},
		{"not offered", &store.ThreeDS{}, "Not offered"},
		{"offered only", &store.ThreeDS{Offered: true}, "Offered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := threeDSText(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCodeWords(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		words map[string]string
		want  string
	}{
		{"Y", avsWords, "Y: address and ZIP code match"},
		{"N", avsWords, "N: neither address nor ZIP code match"},
		{"y", avsWords, "y: address and ZIP code match"},
		{"Q", avsWords, "Q"}, // not a standard code: shown raw
		{"", avsWords, ""},
		{"M", cvvWords, "M: match"},
		{"N", cvvWords, "N: no match"},
		{"X9", cvvWords, "X9"},
	} {
		if got := codeWords(tc.raw, tc.words); got != tc.want {
			t.Errorf("codeWords(%q): got %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestSettlementText(t *testing.T) {
	for _, tc := range []struct {
		in   store.Settlement
		want string
	}{
		{store.Settlement{Gross: &store.Money{Minor: 3102, Currency: "USD"}, Quote: &store.Quote{Pair: "SGD/USD", Price: "0.7384"}}, "Settles as 31.02 USD at 0.7384 SGD/USD"},
		{store.Settlement{Gross: &store.Money{Minor: 3102, Currency: "JPY"}}, "Settles as 3,102 JPY"},
		{store.Settlement{Quote: &store.Quote{Pair: "SGD/USD", Price: "0.7384"}}, "Exchange rate 0.7384 SGD/USD"},
		{store.Settlement{}, ""},
	} {
		if got := settlementText(tc.in); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func fieldLabels(fs []pages.Field) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Label)
	}
	return out
}

// Buyer-identifying fields, BIN and expiry go to the Buyer group only with
// buyer-data access; without it the section says they exist.
func TestCardSectionBuyerGate(t *testing.T) {
	p := &store.Payment{Status: store.StatusSuccess, AmountMinor: 4200, Currency: "SGD", CardBrand: "VISA", CardLast4: "0768",
		Card: store.CardDetails{BIN: "411111", ExpiryMonth: "12", ExpiryYear: "29", IssuerName: "DBS Bank", Funding: "CREDIT", Category: "CONSUMER",
			AuthCode: "A1B2C3", AVSRaw: "Y", ThreeDS: &store.ThreeDS{Challenged: true, ECI: "05"},
			Acquirer: &store.Acquirer{Name: "Acme", ResultCode: "00", ResultMessage: "Approved"}},
		Buyer: store.BuyerDetails{CardholderName: "Tan Ah Kow"}}
	with := cardSection(p, true)
	if got := fieldLabels(with.Buyer); !slices.Equal(got, []string{"Cardholder name", "BIN", "Expiry"}) || with.BuyerHidden != "" {
		t.Errorf("with access: buyer %v hidden %q", got, with.BuyerHidden)
	}
	without := cardSection(p, false)
	if len(without.Buyer) != 0 || without.BuyerHidden == "" {
		t.Errorf("without access: buyer %v hidden %q", fieldLabels(without.Buyer), without.BuyerHidden)
	}
	all, _ := json.Marshal(without)
	for _, secret := range []string{"Tan Ah Kow", "411111", "12/29"} {
		if strings.Contains(string(all), secret) {
			t.Errorf("without access the section holds %q", secret)
		}
	}
	if got := fieldLabels(without.Card); !slices.Equal(got, []string{"Card", "Issuer", "Type"}) {
		t.Errorf("card fields %v", got)
	}
	if without.Card[2].Value != "Credit, consumer" || without.Card[0].Value != "VISA •••• 0768" {
		t.Errorf("card values %+v", without.Card)
	}
	if got := fieldLabels(without.Acquirer); !slices.Equal(got, []string{"Acquirer"}) || without.Acquirer[0].Value != "Acme: 00 Approved" {
		t.Errorf("acquirer %+v", without.Acquirer)
	}
	if empty := cardSection(&store.Payment{Status: store.StatusSessionReady}, true); empty.Empty == "" || len(empty.Card) != 0 {
		t.Errorf("a payment without a card: %+v", empty)
	}
}

// Fields that no longer apply are hidden in final states.
func TestApplyHierarchyHidesWhatNoLongerApplies(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	future := now.Add(6 * 24 * time.Hour)
	for _, tc := range []struct {
		name                            string
		p                               store.Payment
		captured, refunded, session, ae bool
	}{
		{"awaiting payment", store.Payment{Status: store.StatusSessionReady}, false, false, true, false},
		{"expired", store.Payment{Status: store.StatusExpired}, false, false, true, false},
		{"processing", store.Payment{Status: store.StatusProcessing}, false, false, false, false},
		{"declined", store.Payment{Status: store.StatusFail}, false, false, false, false},
		{"session failed", store.Payment{Status: store.StatusSessionFailed}, false, false, false, false},
		{"authorised, manual", store.Payment{Status: store.StatusSuccess, CaptureMode: antom.CaptureManual, CaptureState: store.CaptureNone, AuthExpiresAt: future}, true, false, false, true},
		{"partially captured, manual", store.Payment{Status: store.StatusSuccess, CaptureMode: antom.CaptureManual, CaptureState: store.CapturePartial, CapturedMinor: 100, AmountMinor: 200, AuthExpiresAt: future}, true, true, false, true},
		{"fully captured", store.Payment{Status: store.StatusSuccess, CaptureMode: antom.CaptureManual, CaptureState: store.CaptureFull, CapturedMinor: 200, AmountMinor: 200, AuthExpiresAt: future}, true, true, false, false},
		{"cancelled after authorisation", store.Payment{Status: store.StatusCancelled, CaptureMode: antom.CaptureManual, AuthExpiresAt: future}, false, false, false, false},
		{"refunded", store.Payment{Status: store.StatusSuccess, CaptureState: store.CaptureFull, CapturedMinor: 200, RefundedMinor: 200, AmountMinor: 200, AuthExpiresAt: future}, true, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := pages.PaymentLive{AuthExpiresAt: stampOf(tc.p.AuthExpiresAt, now)}
			applyHierarchy(&live, &tc.p, false, now)
			if live.ShowCaptured != tc.captured || live.ShowRefunded != tc.refunded || live.ShowSessionExpiry != tc.session || (live.AuthExpiresAt.Text != "") != tc.ae {
				t.Errorf("captured %v refunded %v session %v auth expiry %q; want %v %v %v %v",
					live.ShowCaptured, live.ShowRefunded, live.ShowSessionExpiry, live.AuthExpiresAt.Text, tc.captured, tc.refunded, tc.session, tc.ae)
			}
		})
	}
}

// jsonNames lists the JSON names of a struct type's fields.
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// The app API's card object is documented field by field, and carries no
// buyer-identifying field.
func TestAPICardMatchesOpenAPI(t *testing.T) {
	doc := openAPIDoc(t)
	props, ok := dig(t, doc, "components", "schemas", "Card", "properties").(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no Card schema")
	}
	names := jsonNames(reflect.TypeOf(apiCard{}))
	for _, n := range names {
		if props[n] == nil {
			t.Errorf("card.%s is not in openapi.json", n)
		}
	}
	for n := range props {
		if !slices.Contains(names, n) {
			t.Errorf("openapi.json documents card.%s, which the API does not send", n)
		}
	}
	for _, buyer := range []string{"cardholderName", "pspCustomerInfo", "cardBin", "bin", "expiryMonth"} {
		if slices.Contains(names, buyer) {
			t.Errorf("the API card has buyer field %s", buyer)
		}
	}
	if ref := dig(t, doc, "components", "schemas", "Payment", "properties", "card", "$ref"); ref != "#/components/schemas/Card" {
		t.Errorf("Payment.card is %v", ref)
	}
	for _, n := range []string{"arn", "rrn"} {
		if dig(t, doc, "components", "schemas", "Refund", "properties", n) == nil {
			t.Errorf("Refund.%s is not documented", n)
		}
	}
	if toAPICard(&store.Payment{}) != nil {
		t.Error("a payment without card details has a card object")
	}
}
