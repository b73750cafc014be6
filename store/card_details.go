package store

// Card, authorisation, acquirer and settlement details Antom reports with a
// payment (paymentResultInfo, cardInfo, acquirerInfo, settlement amounts),
// a capture (acquirerInfo, settlement) and a refund (ARN, RRN,
// actualRefundAmount, acquirerInfo, settlement). They are facts to show, not
// inputs of the state machines: merging them never moves a status.
//
// Merging is field by field: a later notification or inquiry answer that
// lacks a field keeps what an earlier one said. Every string comes from the
// network, so it is bounded (detailMax) and stripped of control characters
// before it is kept. CAVV and XID (3-D Secure authentication values) are
// not kept at all.

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"paydesk/antom"
)

// detailMax bounds every string of the details, in bytes: Antom's longest
// fields here (issuer and acquirer names, result messages) are well within
// it, and a hostile or broken sender cannot grow a row.
const detailMax = 128

// Money is an amount in a currency's minor units (ISO 4217 code).
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// Quote is an exchange-rate quote (settlementQuote).
type Quote struct {
	ID    string `json:"id,omitempty"`
	Pair  string `json:"pair,omitempty"`  // quoteCurrencyPair, e.g. "SGD/USD"
	Price string `json:"price,omitempty"` // quotePrice as Antom sent it (decimal text, never a float)
}

// Settlement is what a payment, capture or refund settles as.
type Settlement struct {
	Gross *Money `json:"gross,omitempty"` // grossSettlementAmount
	Quote *Quote `json:"quote,omitempty"` // settlementQuote
}

// Acquirer is acquirerInfo: the acquirer's side of a payment, capture or refund.
type Acquirer struct {
	Name               string `json:"name,omitempty"`
	TransactionID      string `json:"transactionId,omitempty"`
	ReferenceRequestID string `json:"referenceRequestId,omitempty"`
	MerchantID         string `json:"merchantId,omitempty"`
	MerchantName       string `json:"merchantName,omitempty"`
	ResultCode         string `json:"resultCode,omitempty"`
	ResultMessage      string `json:"resultMessage,omitempty"`
	ReasonDescription  string `json:"reasonDescription,omitempty"`
}

// ThreeDS is the 3-D Secure outcome (threeDSResult). Challenged, Offered
// and the strings only ever gain information: Antom's booleans cannot say
// "absent", so a later answer's false does not undo an earlier true.
type ThreeDS struct {
	Version         string `json:"version,omitempty"`
	ECI             string `json:"eci,omitempty"`
	Challenged      bool   `json:"challenged,omitempty"`
	Exemption       string `json:"exemption,omitempty"`
	Offered         bool   `json:"offered,omitempty"`
	ChallengeCancel string `json:"challengeCancel,omitempty"` // e.g. "01": the buyer cancelled the challenge
	StatusReason    string `json:"statusReason,omitempty"`    // threeDStransactionStatusReason
	DSTransactionID string `json:"dsTransactionId,omitempty"`
}

// CardDetails are what Antom said about a payment's card and its
// authorisation, beyond brand and last four (Payment.CardBrand,
// Payment.CardLast4) and the refusal (Payment.RefusalReasonRaw,
// Payment.MerchantAdviceCode). None of it identifies the buyer.
type CardDetails struct {
	BIN            string `json:"bin,omitempty"`
	ExpiryMonth    string `json:"expiryMonth,omitempty"`
	ExpiryYear     string `json:"expiryYear,omitempty"`
	Funding        string `json:"funding,omitempty"` // CREDIT, DEBIT, PREPAID
	IssuerName     string `json:"issuerName,omitempty"`
	IssuingCountry string `json:"issuingCountry,omitempty"`
	Category       string `json:"category,omitempty"`     // cardCategory, e.g. CONSUMER, COMMERCIAL
	MethodRegion   string `json:"methodRegion,omitempty"` // paymentMethodRegion
	AuthCode       string `json:"authCode,omitempty"`     // authorizationCode
	NetworkTxnID   string `json:"networkTxnId,omitempty"` // networkTransactionId
	AVSRaw         string `json:"avsRaw,omitempty"`       // avsResultRaw
	CVVRaw         string `json:"cvvRaw,omitempty"`       // cvvResultRaw
	RRN            string `json:"rrn,omitempty"`
	RefusalCodeRaw string `json:"refusalCodeRaw,omitempty"`

	ThreeDS  *ThreeDS  `json:"threeDS,omitempty"`
	Acquirer *Acquirer `json:"acquirer,omitempty"`
	Settlement
	ActualAmount *Money `json:"actualAmount,omitempty"` // actualPaymentAmount
}

// IsZero reports whether nothing is known.
func (d *CardDetails) IsZero() bool { return encodeDetails(d) == "" }

// PSPCustomer is pspCustomerInfo: the buyer at a wallet or PSP.
type PSPCustomer struct {
	Name                string `json:"name,omitempty"`
	CustomerID          string `json:"customerId,omitempty"`
	DisplayCustomerID   string `json:"displayCustomerId,omitempty"`
	DisplayCustomerName string `json:"displayCustomerName,omitempty"`
}

// BuyerDetails identify the buyer: pages show them only to roles with
// buyer-data access.
type BuyerDetails struct {
	CardholderName string       `json:"cardholderName,omitempty"`
	PSP            *PSPCustomer `json:"psp,omitempty"`
}

// TxnDetails are what Antom said about a capture or refund besides its
// status and amount. ActualAmount is a refund's actualRefundAmount.
type TxnDetails struct {
	Acquirer *Acquirer `json:"acquirer,omitempty"`
	Settlement
	ActualAmount *Money `json:"actualAmount,omitempty"`
}

// ---- from Antom's wire types ----

// clip bounds an untrusted string: valid UTF-8, no control characters,
// surrounding space trimmed, at most detailMax bytes (cut at a rune).
func clip(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return staffTruncate(strings.TrimSpace(s), detailMax)
}

// keep is the merge of one field: the new value when there is one.
func keep(dst *string, v string) bool {
	v = clip(v)
	if v == "" || v == *dst {
		return false
	}
	*dst = v
	return true
}

// moneyOf is an antom.Amount as Money, or nil when it is absent or unreadable
// (a detail to show, so an unreadable one is dropped rather than refused).
func moneyOf(a *antom.Amount) *Money {
	if a == nil || len(a.Currency) != 3 {
		return nil
	}
	for _, r := range a.Currency {
		if r < 'A' || r > 'Z' {
			return nil
		}
	}
	m, err := a.Minor()
	if err != nil || m < 0 {
		return nil
	}
	return &Money{Minor: m, Currency: a.Currency}
}

func mergeMoney(dst **Money, a *antom.Amount) bool {
	m := moneyOf(a)
	if m == nil || (*dst != nil && **dst == *m) {
		return false
	}
	*dst = m
	return true
}

func mergeQuote(dst **Quote, q *antom.Quote) bool {
	if q == nil {
		return false
	}
	var cur Quote
	if *dst != nil {
		cur = **dst
	}
	changed := keep(&cur.ID, q.QuoteID)
	changed = keep(&cur.Pair, q.QuoteCurrencyPair) || changed
	changed = keep(&cur.Price, string(q.QuotePrice)) || changed
	if changed {
		*dst = &cur
	}
	return changed
}

func (st *Settlement) merge(gross *antom.Amount, q *antom.Quote) bool {
	changed := mergeMoney(&st.Gross, gross)
	return mergeQuote(&st.Quote, q) || changed
}

func mergeAcquirer(dst **Acquirer, a *antom.AcquirerInfo) bool {
	if a == nil {
		return false
	}
	var cur Acquirer
	if *dst != nil {
		cur = **dst
	}
	changed := false
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&cur.Name, a.AcquirerName}, {&cur.TransactionID, a.AcquirerTransactionID},
		{&cur.ReferenceRequestID, a.ReferenceRequestID}, {&cur.MerchantID, a.AcquirerMerchantID},
		{&cur.MerchantName, a.AcquirerMerchantName}, {&cur.ResultCode, a.AcquirerResultCode},
		{&cur.ResultMessage, a.AcquirerResultMessage}, {&cur.ReasonDescription, a.AcquirerReasonDescription},
	} {
		changed = keep(f.dst, f.v) || changed
	}
	if changed {
		*dst = &cur
	}
	return changed
}

func mergeThreeDS(dst **ThreeDS, t *antom.ThreeDSResult) bool {
	if t == nil {
		return false
	}
	var cur ThreeDS
	if *dst != nil {
		cur = **dst
	}
	changed := keep(&cur.Version, t.ThreeDSVersion)
	changed = keep(&cur.ECI, t.ECI) || changed
	changed = keep(&cur.Exemption, t.ExemptionType) || changed
	changed = keep(&cur.ChallengeCancel, t.ChallengeCancel) || changed
	changed = keep(&cur.StatusReason, t.ThreeDSTransactionStatusReason) || changed
	changed = keep(&cur.DSTransactionID, t.DSTransactionID) || changed
	if bool(t.Challenged) && !cur.Challenged {
		cur.Challenged, changed = true, true
	}
	if bool(t.ThreeDSOffered) && !cur.Offered {
		cur.Offered, changed = true, true
	}
	if changed || *dst == nil {
		// An empty threeDSResult object is news too: 3-D Secure was
		// looked at and nothing was offered.
		*dst = &cur
		return true
	}
	return false
}

// mergePaymentDetails merges what a notifyPayment or an inquiryPayment
// answer says about the card, authorisation, acquirer, settlement and buyer
// into p. It is pure (no I/O) and touches nothing the state machines read.
func mergePaymentDetails(p *Payment, ri *antom.PaymentResultInfo, pd *antom.PaymentDetails) {
	// Decode what is stored first (a no-op for a single-payment load), so a
	// merge always adds to it; stored text that does not decode is replaced
	// by what this answer says.
	_ = p.loadDetails()
	p.details.decoded = true
	if ri == nil {
		ri = &antom.PaymentResultInfo{}
	}
	if pd == nil {
		pd = &antom.PaymentDetails{}
	}
	ci := pd.CardInfo
	if ci == nil {
		ci = &antom.CardInfo{}
	}
	d := &p.Card
	keep(&p.CardBrand, nonEmpty(ri.CardBrand, ci.CardBrand))
	last4 := ri.LastFour
	if last4 == "" {
		last4 = lastFourOf(nonEmpty(ri.CardNo, ci.CardNo))
	}
	keep(&p.CardLast4, last4)
	keep(&p.RefusalReasonRaw, ri.RefusalReasonRaw)
	keep(&p.MerchantAdviceCode, ri.MerchantAdviceCode)

	bin := ri.CardBin
	if bin == "" {
		bin = binOf(nonEmpty(ri.CardNo, ci.CardNo))
	}
	keep(&d.BIN, bin)
	keep(&d.ExpiryMonth, ri.ExpiryMonth)
	keep(&d.ExpiryYear, ri.ExpiryYear)
	keep(&d.Funding, nonEmpty(ri.Funding, ci.Funding))
	keep(&d.IssuerName, ri.IssuerName)
	keep(&d.IssuingCountry, nonEmpty(ri.IssuingCountry, ci.IssuingCountry))
	keep(&d.Category, ri.CardCategory)
	keep(&d.MethodRegion, nonEmpty(ri.PaymentMethodRegion, ci.PaymentMethodRegion))
	keep(&d.AuthCode, ri.AuthorizationCode)
	keep(&d.NetworkTxnID, ri.NetworkTransactionID)
	keep(&d.AVSRaw, ri.AvsResultRaw)
	keep(&d.CVVRaw, ri.CvvResultRaw)
	keep(&d.RRN, ri.RRN)
	keep(&d.RefusalCodeRaw, ri.RefusalCodeRaw)
	mergeThreeDS(&d.ThreeDS, ci.ThreeDSResult)
	mergeThreeDS(&d.ThreeDS, ri.ThreeDSResult)
	mergeAcquirer(&d.Acquirer, pd.AcquirerInfo)
	mergeAcquirer(&d.Acquirer, ri.AcquirerInfo)
	d.Settlement.merge(pd.GrossSettlementAmount, pd.SettlementQuote)
	mergeMoney(&d.ActualAmount, pd.ActualPaymentAmount)

	b := &p.Buyer
	keep(&b.CardholderName, ri.CardholderName)
	if psp := pd.PspCustomerInfo; psp != nil {
		var cur PSPCustomer
		if b.PSP != nil {
			cur = *b.PSP
		}
		c := keep(&cur.Name, psp.PspName)
		c = keep(&cur.CustomerID, psp.PspCustomerID) || c
		c = keep(&cur.DisplayCustomerID, psp.DisplayCustomerID) || c
		c = keep(&cur.DisplayCustomerName, psp.DisplayCustomerName) || c
		if c {
			b.PSP = &cur
		}
	}
}

// lastFourOf is the last four digits of a masked card number
// ("************0768"), or "" when they are not digits.
func lastFourOf(cardNo string) string {
	if len(cardNo) < 4 {
		return ""
	}
	tail := cardNo[len(cardNo)-4:]
	if !allDigits(tail) {
		return ""
	}
	return tail
}

// binOf is the first six digits of a masked card number ("411111******1111"),
// or "" when the number does not start with six digits.
func binOf(cardNo string) string {
	if len(cardNo) < 10 || !allDigits(cardNo[:6]) {
		return ""
	}
	return cardNo[:6]
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// txnDetailsReport is what a capture or refund report carries besides
// status and amount.
type txnDetailsReport struct {
	Acquirer     *antom.AcquirerInfo
	Gross        *antom.Amount
	Quote        *antom.Quote
	ActualAmount *antom.Amount // actualRefundAmount
	ARN, RRN     string        // refunds
}

func refundDetailsReport(d antom.RefundDetails) txnDetailsReport {
	return txnDetailsReport{Acquirer: d.AcquirerInfo, Gross: d.GrossSettlementAmount, Quote: d.SettlementQuote,
		ActualAmount: d.ActualRefundAmount, ARN: d.ARN, RRN: d.RRN}
}

// merge merges r into d and reports whether anything changed.
func (d *TxnDetails) merge(r txnDetailsReport) bool {
	changed := mergeAcquirer(&d.Acquirer, r.Acquirer)
	changed = d.Settlement.merge(r.Gross, r.Quote) || changed
	return mergeMoney(&d.ActualAmount, r.ActualAmount) || changed
}

// ---- stored form ----

// encodeDetails is the stored JSON of v, or "" when it is empty ({}).
func encodeDetails(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "{}" || string(b) == "null" {
		// The types are plain structs of strings, numbers and
		// pointers to such: Marshal cannot fail on them.
		return ""
	}
	return string(b)
}

// storedDetails is a payment's card_details and buyer_details as read,
// until loadDetails decodes them into Payment.Card and Payment.Buyer.
type storedDetails struct {
	card, buyer string
	decoded     bool
}

// loadDetails decodes the stored details into p.Card and p.Buyer (once).
func (p *Payment) loadDetails() error {
	if p.details.decoded {
		return nil
	}
	if err := decodeDetails(p.details.card, &p.Card); err != nil {
		return fmt.Errorf("store: payment %s card_details: %w", p.PaymentRequestID, err)
	}
	if err := decodeDetails(p.details.buyer, &p.Buyer); err != nil {
		return fmt.Errorf("store: payment %s buyer_details: %w", p.PaymentRequestID, err)
	}
	p.details.decoded = true
	return nil
}

// cardColumn and buyerColumn are what to store: the details as decoded
// and perhaps changed, or, for a payment whose details were never decoded
// (a new one, or one read by a list), what was read, so a save never
// erases them.
func (d storedDetails) cardColumn(p *Payment) string {
	if !d.decoded {
		return d.card
	}
	return encodeDetails(&p.Card)
}

func (d storedDetails) buyerColumn(p *Payment) string {
	if !d.decoded {
		return d.buyer
	}
	return encodeDetails(&p.Buyer)
}

// decodeDetails reads stored JSON into v; "" leaves v zero. A row written
// by a newer version with fields this one does not know still reads.
func decodeDetails(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}
