package handlers

// The payment page's "Card and authorisation" section and the words for
// the codes in it: AVS and CVV results, the 3-D Secure outcome, settlement.

import (
	"strings"
	"time"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
)

// avsWords are the standard AVS result codes (Visa and Mastercard, also
// used by Antom's avsResultRaw), in words.
var avsWords = map[string]string{
	"A": "address matches, ZIP code does not",
	"B": "street address matches, postal code not verified",
	"C": "street address and postal code not verified",
	"D": "street address and postal code match",
	"E": "AVS error",
	"G": "issuer does not support AVS",
	"I": "address not verified",
	"M": "street address and postal code match",
	"N": "neither address nor ZIP code match",
	"P": "postal code matches, street address not verified",
	"R": "issuer unavailable, retry",
	"S": "AVS not supported by the issuer",
	"U": "address information unavailable",
	"W": "9-digit ZIP code matches, address does not",
	"X": "address and 9-digit ZIP code match",
	"Y": "address and ZIP code match",
	"Z": "ZIP code matches, address does not",
}

// cvvWords are the standard CVV2/CVC2 result codes, in words.
var cvvWords = map[string]string{
	"M": "match",
	"N": "no match",
	"P": "not processed",
	"S": "should be on the card, but not provided",
	"U": "issuer does not check CVV",
}

// codeWords is "Y: address and ZIP code match" for a known code, the raw
// code alone otherwise, "" for none.
func codeWords(raw string, words map[string]string) string {
	if w, ok := words[strings.ToUpper(strings.TrimSpace(raw))]; ok {
		return raw + ": " + w
	}
	return raw
}

// challengeCancelWords are EMV 3-D Secure's challengeCancel indicator
// values (why a challenge did not complete).
var challengeCancelWords = map[string]string{
	"01": "cancelled by the buyer",
	"03": "timed out (decoupled authentication)",
	"04": "timed out at the issuer",
	"05": "timed out before the challenge started",
	"06": "ended by an error",
	"07": "ended for an unknown reason",
	"08": "timed out in the app",
}

// eciWords says what an ECI value means: authenticated, attempted or not.
func eciWords(eci string) string {
	switch eci {
	case "05", "02":
		return "authenticated"
	case "06", "01":
		return "authentication attempted"
	case "07", "00":
		return "not authenticated"
	}
	return ""
}

// threeDSText is the 3-D Secure outcome in words: "Challenged,
// authenticated (ECI 05)", "Frictionless (exemption LOW_RISK)", "Challenge
// cancelled by the buyer (code 01)", "Not offered"; "" when nothing is known.
func threeDSText(t *store.ThreeDS) string {
	if t == nil {
		return ""
	}
	var s string
	eci := ""
	if t.ECI != "" {
		eci = "ECI " + t.ECI
	}
	switch {
	case t.ChallengeCancel != "":
		w, ok := challengeCancelWords[t.ChallengeCancel]
		if !ok {
			w = "not completed"
		}
		s = "Challenge " + w + " (code " + t.ChallengeCancel + ")"
	case t.Challenged:
		s = "Challenged"
		if w := eciWords(t.ECI); w != "" {
			s += ", " + w
		}
		if eci != "" {
			s += " (" + eci + ")"
		}
	case t.Exemption != "":
		s = "Frictionless (exemption " + t.Exemption + ")"
	case t.ECI != "" || t.Version != "":
		s = "Frictionless"
		if w := eciWords(t.ECI); w != "" {
			s += ", " + w
		}
		if eci != "" {
			s += " (" + eci + ")"
		}
	case !t.Offered:
		return "Not offered"
	default:
		s = "Offered"
	}
	if t.Version != "" {
		s += "; version " + t.Version
	}
	if t.StatusReason != "" {
		s += "; status reason " + t.StatusReason
	}
	return s
}

// settlementText is "Settles as 31.02 USD at 0.7384 SGD/USD", or what of it
// is known; "" for nothing.
func settlementText(st store.Settlement) string {
	var s string
	if st.Gross != nil {
		s = "Settles as " + money(st.Gross.Minor, st.Gross.Currency)
	}
	if q := st.Quote; q != nil && q.Price != "" {
		rate := q.Price
		if q.Pair != "" {
			rate += " " + q.Pair
		}
		if s == "" {
			return "Exchange rate " + rate
		}
		s += " at " + rate
	}
	return s
}

// acquirerText is "Acme Acquiring: 00 Approved", what of it is known.
func acquirerText(a *store.Acquirer) string {
	if a == nil {
		return ""
	}
	result := strings.TrimSpace(a.ResultCode + " " + a.ResultMessage)
	switch {
	case a.Name == "":
		return result
	case result == "":
		return a.Name
	}
	return a.Name + ": " + result
}

// fundingText is "Credit, consumer": the card's funding and category.
func fundingText(d *store.CardDetails) string {
	parts := make([]string, 0, 2)
	for _, v := range []string{d.Funding, d.Category} {
		if v != "" {
			parts = append(parts, strings.ToLower(strings.ReplaceAll(v, "_", " ")))
		}
	}
	s := strings.Join(parts, ", ")
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// nonEmptyFields keeps the fields that have a value.
func nonEmptyFields(fs ...pages.Field) []pages.Field {
	out := make([]pages.Field, 0, len(fs))
	for _, f := range fs {
		if f.Value != "" || f.At.Text != "" {
			out = append(out, f)
		}
	}
	return out
}

// cardSection builds the "Card and authorisation" section. buyerData says
// whether the viewer may see buyer-identifying fields (PermViewBuyerData).
func cardSection(p *store.Payment, buyerData bool) pages.CardSection {
	d := &p.Card
	expiry := ""
	if d.ExpiryMonth != "" && d.ExpiryYear != "" {
		expiry = d.ExpiryMonth + "/" + d.ExpiryYear
	}
	sec := pages.CardSection{
		Card: nonEmptyFields(
			pages.Field{Label: "Card", Value: cardText(p.CardBrand, p.CardLast4), TestID: "card"},
			pages.Field{Label: "Issuer", Value: d.IssuerName, TestID: "card-issuer"},
			pages.Field{Label: "Issuing country", Value: d.IssuingCountry, TestID: "card-country"},
			pages.Field{Label: "Type", Value: fundingText(d), TestID: "card-funding"},
			pages.Field{Label: "Payment method region", Value: d.MethodRegion, TestID: "card-region"},
		),
		Authorisation: nonEmptyFields(
			pages.Field{Label: "Authorisation code", Value: d.AuthCode, Mono: true, TestID: "card-auth-code"},
			pages.Field{Label: "Network transaction ID", Value: d.NetworkTxnID, Mono: true, TestID: "card-network-txn"},
			pages.Field{Label: "AVS", Value: codeWords(d.AVSRaw, avsWords), TestID: "card-avs"},
			pages.Field{Label: "CVV", Value: codeWords(d.CVVRaw, cvvWords), TestID: "card-cvv"},
			pages.Field{Label: "3-D Secure", Value: threeDSText(d.ThreeDS), TestID: "card-3ds"},
			pages.Field{Label: "3DS transaction ID", Value: threeDSID(d.ThreeDS), Mono: true, TestID: "card-3ds-id"},
			pages.Field{Label: "RRN", Value: d.RRN, Mono: true, TestID: "card-rrn"},
			pages.Field{Label: "Refusal code (raw)", Value: d.RefusalCodeRaw, Mono: true, TestID: "card-refusal-code"},
			pages.Field{Label: "Refusal reason (raw)", Value: p.RefusalReasonRaw, TestID: "card-refusal-reason"},
			pages.Field{Label: "Merchant advice code", Value: p.MerchantAdviceCode, Mono: true, TestID: "card-advice-code"},
		),
	}
	var acq store.Acquirer
	if d.Acquirer != nil {
		acq = *d.Acquirer
	}
	actual := ""
	if a := d.ActualAmount; a != nil && (a.Minor != p.AmountMinor || a.Currency != p.Currency) {
		actual = money(a.Minor, a.Currency)
	}
	sec.Acquirer = nonEmptyFields(
		pages.Field{Label: "Acquirer", Value: acquirerText(d.Acquirer), TestID: "card-acquirer"},
		pages.Field{Label: "Acquirer transaction ID", Value: acq.TransactionID, Mono: true, TestID: "card-acquirer-txn"},
		pages.Field{Label: "Settlement", Value: settlementText(d.Settlement), TestID: "card-settlement"},
		pages.Field{Label: "Actual payment amount", Value: actual, TestID: "card-actual-amount"},
	)
	// The buyer-identifying fields, and BIN and expiry, which raw payloads
	// redact for the same roles (redactedKeys), need buyer-data access.
	b := p.Buyer
	var psp store.PSPCustomer
	if b.PSP != nil {
		psp = *b.PSP
	}
	buyer := nonEmptyFields(
		pages.Field{Label: "Cardholder name", Value: b.CardholderName, TestID: "cardholder-name"},
		pages.Field{Label: "PSP customer", Value: joinNonEmpty(psp.Name, firstNonEmpty(psp.DisplayCustomerName, psp.DisplayCustomerID, psp.CustomerID)), TestID: "card-psp-customer"},
		pages.Field{Label: "BIN", Value: d.BIN, Mono: true, TestID: "card-bin"},
		pages.Field{Label: "Expiry", Value: expiry, TestID: "card-expires"},
	)
	switch {
	case len(buyer) > 0 && buyerData:
		sec.Buyer = buyer
	case len(buyer) > 0:
		sec.BuyerHidden = "The cardholder, PSP customer, BIN and expiry are shown to roles with buyer-data access."
	}
	if len(sec.Card)+len(sec.Authorisation)+len(sec.Acquirer)+len(sec.Buyer) == 0 && sec.BuyerHidden == "" {
		sec.Empty = cardEmpty(p)
	}
	return sec
}

func threeDSID(t *store.ThreeDS) string {
	if t == nil {
		return ""
	}
	return t.DSTransactionID
}

// cardEmpty says why the section has nothing yet.
func cardEmpty(p *store.Payment) string {
	switch p.Status {
	case store.StatusCreated, store.StatusSessionReady:
		return "The buyer has not paid yet: Antom reports the card with the payment's result."
	case store.StatusSessionFailed, store.StatusExpired:
		return "No card: the buyer never paid."
	}
	return "Antom has not reported card details for this payment."
}

// applyHierarchy fills the detail page's header and summaries (issue 11):
// the order beside the header, the card section, the session (in the live
// region, so what stops applying goes when the state changes), and which of the
// state-dependent fields still apply. A field that no longer applies is
// hidden, not shown empty: no session expiry once the buyer paid or the
// payment ended otherwise, no authorisation expiry once nothing is left to
// capture, no captured or refunded totals on a payment never authorised.
func applyHierarchy(live *pages.PaymentLive, p *store.Payment, buyerData bool, now time.Time) {
	live.ReferenceOrderID = p.ReferenceOrderID
	live.Order = []pages.Field{
		{Label: "Buyer ID", Value: p.BuyerID, Mono: true, TestID: "buyer-id"},
		{Label: "Description", Value: p.Description, TestID: "description"},
		{Label: "Capture mode", Value: p.CaptureMode, TestID: "capture-mode"},
		{Label: "3-D Secure", Value: yesNo(p.ThreeDS)},
		{Label: "Terminal", Value: joinNonEmpty(p.TerminalType, p.OSType)},
		{Label: "Created", At: stampOf(p.CreatedAt, now)},
		{Label: "Created by", Value: p.CreatedBy},
	}
	live.CardSection = cardSection(p, buyerData)
	live.SessionData = p.SessionData
	authorised := p.Status == store.StatusSuccess
	live.ShowCaptured = authorised || p.CapturedMinor > 0 || p.CaptureState == store.CapturePending
	live.ShowRefunded = p.CapturedMinor > 0 || p.RefundedMinor > 0
	// The session matters while the buyer can pay it, and on a payment that
	// expired unpaid (it says when).
	live.ShowSessionExpiry = p.Status == store.StatusCreated || p.Status == store.StatusSessionReady || p.Status == store.StatusExpired
	live.Session = sessionFieldsThatApply([]pages.Field{
		{Label: "paymentSessionId", Value: abbreviate(p.SessionID, 40), Mono: true},
		{Label: "paymentSessionData", Value: abbreviate(p.SessionData, 40), Mono: true},
		{Label: sessionExpiresLabel, At: stampOf(p.SessionExpiresAt, now)},
		{Label: "Notify URL", Value: p.NotifyURL, Mono: true},
		{Label: "Redirect URL", Value: p.RedirectURL, Mono: true},
		{Label: "Environment", Value: sandboxLabel(p.Sandbox)},
	}, live.ShowSessionExpiry)
	if !authorised || p.CaptureState == store.CaptureFull || p.CaptureMode != antom.CaptureManual && p.CapturedMinor > 0 {
		live.AuthExpiresAt = pages.Stamp{}
	}
}

// sessionFieldsThatApply drops the session card's expiry once it no
// longer applies (the header decides, applyHierarchy): a paid, failed or
// cancelled payment's session does not "expire in 45 min".
func sessionFieldsThatApply(fs []pages.Field, expiryApplies bool) []pages.Field {
	if expiryApplies {
		return fs
	}
	out := fs[:0:0]
	for _, f := range fs {
		if f.Label != sessionExpiresLabel {
			out = append(out, f)
		}
	}
	return out
}

// sessionExpiresLabel is the session card's expiry field's label.
const sessionExpiresLabel = "Expires"
