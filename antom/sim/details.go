package sim

// The details Antom adds to a card payment's results — issuer and card
// facts, the network's authorisation references, the acquirer's side, 3-D
// Secure, settlement in another currency, and refund trace numbers — made
// up here with realistic shapes. Every value is derived from the IDs the
// simulator already keeps (paymentId, captureId, refundId) and the card,
// so the same payment always shows the same values (tests can assert
// them) and nothing more needs saving across restarts.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"
	"time"

	"paydesk/antom"
)

// DefaultSettlementCurrency is the merchant's settlement currency unless
// Config.SettlementCurrency or the session's settlementStrategy says
// otherwise.
const DefaultSettlementCurrency = "USD"

// DefaultCardholderName is the cardholderName reported when the checkout
// form's "Name on card" was left empty.
const DefaultCardholderName = "TEST CARDHOLDER"

// SimAcquirerName is the acquirerInfo.acquirerName of every transaction.
const SimAcquirerName = "ANTOM_SIM_ACQUIRER"

// digest hashes the parts into a stream of deterministic bytes.
func digest(parts ...string) [32]byte {
	return sha256.Sum256([]byte(strings.Join(parts, "|")))
}

// derivedDigits returns n decimal digits derived from the parts.
func derivedDigits(n int, parts ...string) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		h := digest(append(parts, fmt.Sprint(i))...)
		for j := 0; j+8 <= len(h) && b.Len() < n; j += 8 {
			fmt.Fprintf(&b, "%018d", binary.BigEndian.Uint64(h[j:j+8])%1e18)
		}
	}
	return b.String()[:n]
}

// derivedAlnum returns n upper-case letters and digits derived from the parts.
func derivedAlnum(n int, parts ...string) string {
	const set = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	h := digest(parts...)
	out := make([]byte, n)
	for i := range out {
		out[i] = set[int(h[i%len(h)]+byte(i/len(h)))%len(set)]
	}
	return string(out)
}

// derivedUUID returns a version-4-shaped UUID derived from the parts.
func derivedUUID(parts ...string) string {
	h := digest(parts...)
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// --- the issuer's answer ---

// decline is what the network says about an issuer's refusal: the ISO 8583
// response code, its text, and the Mastercard-style merchant advice code
// (01 new account information available, 02 cannot approve at this time,
// try again later, 03 do not try again).
type decline struct {
	code, reason, advice string
}

// declines maps the simulator's issuer declines to the network's answer.
var declines = map[string]decline{
	codeIssuerRejects: {"57", "57 Transaction not permitted to cardholder", "03"},
	codeDoNotHonor:    {"05", "05 Do not honor", "02"},
	codeInvalidCard:   {"14", "14 Invalid card number", "01"},
}

// networkTransactionID is the scheme's trace ID: Visa's 15-digit
// transaction identifier, Mastercard's Banknet reference (three letters,
// six characters, the MMDD settlement date).
func networkTransactionID(brand, paymentID string, at time.Time) string {
	if brand == "MASTERCARD" {
		return "MCC" + derivedAlnum(6, "banknet", paymentID) + at.UTC().Format("0102")
	}
	return derivedDigits(15, "ntid", paymentID)
}

// rrn is a 12-digit retrieval reference number in the usual YDDDHH + six
// digits form.
func rrn(kind, id string, at time.Time) string {
	t := at.UTC()
	return fmt.Sprintf("%d%03d%02d", t.Year()%10, t.YearDay(), t.Hour()) + derivedDigits(6, "rrn", kind, id)
}

// arn is a 23-digit acquirer reference number for a refund: the format
// digit, the acquirer's BIN, the julian date, and a sequence and check digit.
func arn(refundID string, at time.Time) string {
	t := at.UTC()
	return "7" + "494010" + fmt.Sprintf("%d%03d", t.Year()%10, t.YearDay()) + derivedDigits(12, "arn", refundID)
}

// acquirerInfo is the acquirer's side of one transaction (a payment,
// capture or refund, named by kind and id).
func (s *Simulator) acquirerInfo(kind, id, resultCode, resultMessage string) *antom.AcquirerInfo {
	return &antom.AcquirerInfo{
		AcquirerName:          SimAcquirerName,
		ReferenceRequestID:    "SIMREQ" + derivedDigits(20, "acqreq", kind, id),
		AcquirerTransactionID: derivedDigits(24, "acqtx", kind, id),
		AcquirerMerchantID:    "SIMMID" + derivedDigits(9, "mid", s.cfg.ClientID),
		AcquirerResultCode:    resultCode,
		AcquirerResultMessage: resultMessage,
	}
}

// approveLocked fills the card result of an approved authorisation.
func (s *Simulator) approveLocked(p *payment, now time.Time) {
	c := p.card
	c.NetworkTransactionID = networkTransactionID(c.CardBrand, p.paymentID, now)
	c.AuthorizationCode = derivedAlnum(6, "auth", p.paymentID)
	c.AvsResultRaw = "Y" // street address and postal code match
	c.CvvResultRaw = "M" // CVV2/CVC2 match
	c.RRN = rrn("payment", p.paymentID, now)
	c.AcquirerInfo = s.acquirerInfo("payment", p.paymentID, "00", "Approved or completed successfully")
	c.RefusalCodeRaw, c.RefusalReasonRaw, c.MerchantAdviceCode = "", "", ""
}

// declineLocked fills the card result of an issuer's refusal.
func (s *Simulator) declineLocked(p *payment, code string, now time.Time) {
	c := p.card
	d, ok := declines[code]
	if !ok {
		return
	}
	c.RefusalCodeRaw = d.code
	c.RefusalReasonRaw = d.reason
	c.MerchantAdviceCode = d.advice
	c.RRN = rrn("payment", p.paymentID, now)
	c.AcquirerInfo = s.acquirerInfo("payment", p.paymentID, d.code, strings.TrimPrefix(d.reason, d.code+" "))
}

// --- 3-D Secure ---

// threeDS builds the authentication result of a payment. outcome is
// "authenticated" (challenge passed), "frictionless" (exemption, no
// challenge), "failed" (wrong codes) or "cancelled" (the buyer cancelled
// the challenge).
func threeDS(brand, paymentID, outcome, exemption string) *antom.ThreeDSResult {
	r := &antom.ThreeDSResult{
		ThreeDSVersion:  "2.2.0",
		DSTransactionID: derivedUUID("ds", paymentID),
		ThreeDSOffered:  true,
	}
	authenticated := func() {
		r.ECI = "05" // Visa, Amex, JCB: fully authenticated
		if brand == "MASTERCARD" {
			r.ECI = "02"
		}
		h := digest("cavv", paymentID)
		r.CAVV = base64.StdEncoding.EncodeToString(h[:20])
		x := digest("xid", paymentID)
		r.XID = base64.StdEncoding.EncodeToString(x[:20])
	}
	switch outcome {
	case "authenticated":
		authenticated()
		r.Challenged = true
	case "frictionless":
		authenticated()
		r.ExemptionType = exemption
	case "failed":
		r.Challenged = true
		r.ECI = "07" // not authenticated
		if brand == "MASTERCARD" {
			r.ECI = "00"
		}
		r.ThreeDSTransactionStatusReason = "01" // card authentication failed
	case "cancelled":
		r.Challenged = true
		r.ECI = "07"
		if brand == "MASTERCARD" {
			r.ECI = "00"
		}
		r.ChallengeCancel = "01" // the cardholder selected Cancel
	}
	return r
}

// --- settlement ---

// usdRates are fixed, illustrative exchange rates: units of each currency
// per US dollar. A currency missing here settles at 1:1.
var usdRates = map[string]string{
	"USD": "1", "AUD": "1.52", "BDT": "119.8", "BRL": "5.43", "CAD": "1.37", "CLP": "935",
	"CNY": "7.24", "EUR": "0.92", "GBP": "0.79", "HKD": "7.81", "IDR": "15850", "JPY": "151.6",
	"KRW": "1378", "MXN": "17.05", "MYR": "4.71", "NZD": "1.66", "PEN": "3.73", "PHP": "56.2",
	"PKR": "278.5", "PLN": "3.98", "SGD": "1.35", "THB": "36.4", "TWD": "32.1", "VND": "25300",
}

func usdRate(code string) *big.Rat {
	r, ok := new(big.Rat).SetString(usdRates[code])
	if !ok {
		return big.NewRat(1, 1)
	}
	return r
}

// quotePrice is the price of one unit of from in units of to, as a decimal
// with at most 8 places (the text a merchant can recompute the gross
// settlement amount from).
func quotePrice(from, to string) string {
	q := new(big.Rat).Quo(usdRate(to), usdRate(from))
	s := strings.TrimRight(q.FloatString(8), "0")
	return strings.TrimSuffix(s, ".")
}

// settle converts minor units of from into minor units of to at price,
// rounding half away from zero.
func settle(minor int64, from, to, price string) int64 {
	ef, _ := antom.Exponent(from)
	et, _ := antom.Exponent(to)
	p, _ := new(big.Rat).SetString(price)
	v := new(big.Rat).Mul(big.NewRat(minor, 1), p)
	v.Mul(v, new(big.Rat).SetFrac(pow10(et), pow10(ef)))
	n := new(big.Int).Quo(v.Num(), v.Denom())
	rem := new(big.Rat).Sub(v, new(big.Rat).SetInt(n))
	if rem.Cmp(big.NewRat(1, 2)) >= 0 {
		n.Add(n, big.NewInt(1))
	}
	return n.Int64()
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// settlement is the gross settlement amount and quote of a transaction of
// minor units of the payment's currency, or nils when the payment settles
// in its own currency.
func (s *Simulator) settlement(p *payment, kind, id string, minor int64, at time.Time) (*antom.Amount, *antom.Quote) {
	to := p.settlementCurrency
	if to == "" || to == p.currency {
		return nil, nil
	}
	price := quotePrice(p.currency, to)
	a := antom.NewAmount(settle(minor, p.currency, to, price), to)
	return &a, &antom.Quote{
		QuoteID:           "SIMQ" + derivedDigits(16, "quote", kind, id),
		QuoteCurrencyPair: p.currency + "/" + to,
		QuotePrice:        antom.FlexNumber(price),
		QuoteStartTime:    s.formatTime(at),
		QuoteExpiryTime:   s.formatTime(at.Add(24 * time.Hour)),
	}
}

// settlementCurrencyFor is the currency a new payment settles in: the
// session's settlementStrategy, else the simulator's configuration.
func (s *Simulator) settlementCurrencyFor(req *antom.CreatePaymentSessionRequest) string {
	if ss := req.SettlementStrategy; ss != nil && ss.SettlementCurrency != "" {
		return ss.SettlementCurrency
	}
	return s.cfg.SettlementCurrency
}

// cardInfoOf is the cardInfo object of a payment's results.
func cardInfoOf(c *antom.PaymentResultInfo) *antom.CardInfo {
	if c == nil {
		return nil
	}
	return &antom.CardInfo{
		CardNo:              c.CardNo,
		CardBrand:           c.CardBrand,
		CardToken:           c.CardToken,
		IssuingCountry:      c.IssuingCountry,
		Funding:             c.Funding,
		PaymentMethodRegion: c.PaymentMethodRegion,
		ThreeDSResult:       c.ThreeDSResult,
	}
}

// paymentDetailsLocked are the details inquiryPayment and notifyPayment
// share: card, acquirer and settlement. Settlement fields are given for a
// successful payment only.
func (s *Simulator) paymentDetailsLocked(p *payment) antom.PaymentDetails {
	d := antom.PaymentDetails{CardInfo: cardInfoOf(p.card)}
	if p.card != nil {
		d.AcquirerInfo = p.card.AcquirerInfo
	}
	if !p.paymentTime.IsZero() {
		d.ActualPaymentAmount = p.amountWire()
		d.GrossSettlementAmount, d.SettlementQuote = s.settlement(p, "payment", p.paymentID, p.amount, p.paymentTime)
	}
	if p.req.MerchantAccountID != "" {
		d.MerchantAccountID = p.req.MerchantAccountID
	}
	return d
}

// cancelTransactionID is the transactionId of a cancelled payment's CANCEL
// transaction: shaped like Antom's IDs, derived from the paymentId.
func cancelTransactionID(p *payment) string {
	return p.cancelTime.UTC().Format("20060102") + "194010" + derivedDigits(21, "cancel", p.paymentID)
}

// acquirerReferenceNo is the acquirer's ID of an authorised payment (its
// acquirerInfo.acquirerTransactionId), empty otherwise.
func acquirerReferenceNo(p *payment) string {
	if p.card == nil || p.card.AcquirerInfo == nil || p.paymentTime.IsZero() {
		return ""
	}
	return p.card.AcquirerInfo.AcquirerTransactionID
}

// captureAcquirerInfo is the acquirer's side of a capture.
func (s *Simulator) captureAcquirerInfo(c *capture) *antom.AcquirerInfo {
	return s.acquirerInfo("capture", c.captureID, "00", "Approved or completed successfully")
}

// refundDetails are the acquirer, settlement and trace details of a refund.
func (s *Simulator) refundDetails(p *payment, r *refund) antom.RefundDetails {
	d := antom.RefundDetails{
		AcquirerInfo:       s.acquirerInfo("refund", r.refundID, "00", "Approved or completed successfully"),
		ActualRefundAmount: r.wireAmount(),
		ARN:                arn(r.refundID, r.at),
		RRN:                rrn("refund", r.refundID, r.at),
	}
	if p != nil {
		d.GrossSettlementAmount, d.SettlementQuote = s.settlement(p, "refund", r.refundID, r.amount, r.at)
	}
	return d
}
