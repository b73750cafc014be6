package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"paydesk/antom"
)

// Antom's sandbox test cards (section 10) and the simulator's own additions.
const (
	CardVisaSuccess        = "4054695723100768" // success, Visa, global
	CardMastercardSuccess  = "5162774114974622" // success, Mastercard, global
	CardHyundaiSuccess     = "9490220011669217" // success, Hyundai, South Korea
	CardBrazilSuccess      = "4294097400915107" // success, Visa, Brazil
	CardMexicoSuccess      = "4006055482525268" // success, Visa, Mexico
	CardChileSuccess       = "4600729331819383" // success, Visa, Chile
	CardPeruSuccess        = "4310377720003234" // success, Visa, Peru
	CardVisaFailure        = "4054692760174822" // failure, Visa: ISSUER_REJECTS_TRANSACTION
	CardMastercardFailure  = "5162770472561357" // failure, Mastercard: DO_NOT_HONOR
	Card3DSExemption       = "4035501000000008" // 3DS exemption: frictionless success, no challenge
	CardPending            = "4000000000000259" // simulator only: stays PENDING until the order closes
	ThreeDSOTP             = "1234"             // the one-time password the simulated 3DS challenge accepts
	RiskRejectAmountValue  = "11"               // paymentAmount.value that risk control rejects
	maxChallengeTries      = 3
	defaultTestCardCVC     = "123"
	defaultTestCardExpYear = 5 // years ahead, for Pay calls without an expiry
)

// TestCard is a card number the simulated issuer knows.
type TestCard struct {
	Number     string `json:"number"`
	Brand      string `json:"brand"`
	Country    string `json:"country"`    // issuing country (ISO 3166 alpha-2)
	Region     string `json:"region"`     // paymentMethodRegion: GLOBAL for the international cards, else the country
	Issuer     string `json:"issuer"`     // issuerName
	Category   string `json:"category"`   // cardCategory
	Funding    string `json:"funding"`    // CREDIT, DEBIT or PREPAID
	Scenario   string `json:"scenario"`   // what paying with it does
	ResultCode string `json:"resultCode"` // the payment result code it produces
	outcome    string // success, fail, pending
	exempt     bool   // 3DS exemption: no challenge even when 3DS is requested
	message    string
}

// TestCards returns the cards the simulated issuer knows. Any other number
// that passes the Luhn check is declined with INVALID_CARD.
func TestCards() []TestCard {
	return []TestCard{
		{Number: CardVisaSuccess, Brand: "VISA", Country: "US", Region: "GLOBAL", Issuer: "ANTOM SANDBOX BANK N.A.", Category: "CONSUMER", Funding: "CREDIT", Scenario: "success", ResultCode: codeSuccess, outcome: "success"},
		{Number: CardMastercardSuccess, Brand: "MASTERCARD", Country: "GB", Region: "GLOBAL", Issuer: "SANDBOX BANK PLC", Category: "CONSUMER", Funding: "DEBIT", Scenario: "success", ResultCode: codeSuccess, outcome: "success"},
		{Number: CardHyundaiSuccess, Brand: "HYUNDAI", Country: "KR", Region: "KR", Issuer: "HYUNDAI CARD CO., LTD.", Category: "CONSUMER", Funding: "CREDIT", Scenario: "success", ResultCode: codeSuccess, outcome: "success"},
		{Number: CardBrazilSuccess, Brand: "VISA", Country: "BR", Region: "BR", Issuer: "BANCO SANDBOX S.A.", Category: "CONSUMER", Funding: "CREDIT", Scenario: "success", ResultCode: codeSuccess, outcome: "success"},
		{Number: CardMexicoSuccess, Brand: "VISA", Country: "MX", Region: "MX", Issuer: "BANCO SANDBOX MEXICO S.A.", Category: "CONSUMER", Funding: "DEBIT", Scenario: "success", ResultCode: codeSuccess, outcome: "success"},
		{Number: CardChileSuccess, Brand: "VISA", Country: "CL", Region: "CL", Issuer: "BANCO SANDBOX DE CHILE", Category: "CONSUMER", Funding: "CREDIT", Scenario: "success", ResultCode: codeSuccess, outcome: "success"},
		{Number: CardPeruSuccess, Brand: "VISA", Country: "PE", Region: "PE", Issuer: "BANCO SANDBOX DEL PERU", Category: "COMMERCIAL", Funding: "CREDIT", Scenario: "success", ResultCode: codeSuccess, outcome: "success"},
		{Number: CardVisaFailure, Brand: "VISA", Country: "US", Region: "GLOBAL", Issuer: "ANTOM SANDBOX BANK N.A.", Category: "CONSUMER", Funding: "CREDIT", Scenario: "failure: the issuer rejects it", ResultCode: codeIssuerRejects, outcome: "fail", message: "the issuer rejected the transaction"},
		{Number: CardMastercardFailure, Brand: "MASTERCARD", Country: "GB", Region: "GLOBAL", Issuer: "SANDBOX BANK PLC", Category: "CONSUMER", Funding: "CREDIT", Scenario: "failure: do not honor", ResultCode: codeDoNotHonor, outcome: "fail", message: "the issuer declined the transaction: do not honor"},
		{Number: Card3DSExemption, Brand: "VISA", Country: "FR", Region: "GLOBAL", Issuer: "BANQUE SANDBOX SA", Category: "CONSUMER", Funding: "DEBIT", Scenario: "success; 3DS exemption (frictionless, no challenge)", ResultCode: codeSuccess, outcome: "success", exempt: true},
		{Number: CardPending, Brand: "VISA", Country: "US", Region: "GLOBAL", Issuer: "ANTOM SANDBOX BANK N.A.", Category: "CONSUMER", Funding: "PREPAID", Scenario: "simulator only: stays PENDING (PAYMENT_PENDING notification) until the order closes", ResultCode: codePaymentInProcess, outcome: "pending"},
	}
}

func findTestCard(number string) (TestCard, bool) {
	for _, c := range TestCards() {
		if c.Number == number {
			return c, true
		}
	}
	return TestCard{}, false
}

// Card is what the buyer types into the checkout.
type Card struct {
	Number string `json:"cardNumber"` // spaces and dashes are ignored
	Expiry string `json:"expiry"`     // "MM/YY" (or "MM/YYYY"); Pay uses a date 5 years ahead when empty
	CVC    string `json:"cvc"`        // 3 digits (4 for AMEX); Pay uses "123" when empty
	Holder string `json:"holder"`     // optional
	// OTP answers the 3DS challenge in the same Pay call when the session
	// asks for 3DS; leave it empty to stop at the challenge.
	OTP string `json:"otp,omitempty"`
	// CancelChallenge cancels the 3DS challenge in the same Pay call, as
	// the buyer pressing Cancel on it would (when OTP is empty).
	CancelChallenge bool `json:"cancelChallenge,omitempty"`
	// ClientSecret is not typed by the buyer: it is the payment's client
	// secret as the merchant's backend handed it to the app (the hosted
	// checkout takes it as its clientSecret parameter). The SDK event is
	// reported to Config.SDKEventURL with it, as "Authorization: Bearer";
	// empty, with Config.SDKEventAPIKey, or not at all without either.
	ClientSecret string `json:"clientSecret,omitempty"`
}

// Form error codes, as card SDKs name them.
const (
	errIncompleteNumber = "incomplete_number"
	errInvalidNumber    = "invalid_number"
	errIncompleteExpiry = "incomplete_expiry"
	errInvalidMonth     = "invalid_expiry_month"
	errInvalidYear      = "invalid_expiry_year"
	errIncompleteCVC    = "incomplete_cvc"
	errInvalidCVC       = "invalid_cvc"
	errInvalidOTP       = "invalid_otp"
)

// formErrorText explains a form error code to the buyer.
func formErrorText(code string) string {
	switch code {
	case errIncompleteNumber:
		return "Enter the card number."
	case errInvalidNumber:
		return "This card number is not valid."
	case errIncompleteExpiry:
		return "Enter the expiry date as MM/YY."
	case errInvalidMonth:
		return "The expiry month must be between 01 and 12."
	case errInvalidYear:
		return "This card has expired."
	case errIncompleteCVC:
		return "Enter the security code."
	case errInvalidCVC:
		return "The security code must be 3 digits (4 for American Express)."
	case errInvalidOTP:
		return "That code is not correct."
	}
	return code
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// luhn reports whether a string of digits passes the Luhn check.
func luhn(number string) bool {
	sum := 0
	for i := 0; i < len(number); i++ {
		d := int(number[len(number)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func brandOf(number string) string {
	switch {
	case strings.HasPrefix(number, "4"):
		return "VISA"
	case strings.HasPrefix(number, "34"), strings.HasPrefix(number, "37"):
		return "AMEX"
	case len(number) >= 2 && number[0] == '5' && number[1] >= '1' && number[1] <= '5':
		return "MASTERCARD"
	case strings.HasPrefix(number, "2"):
		return "MASTERCARD"
	case strings.HasPrefix(number, "35"):
		return "JCB"
	case strings.HasPrefix(number, "62"):
		return "CUP"
	}
	return "UNKNOWN"
}

// validateCard checks the form the way the client SDK does before anything
// is sent: Luhn, expiry and CVC. It returns field name → error code.
func validateCard(c Card, now time.Time) (number string, month, year int, errs map[string]string) {
	errs = map[string]string{}
	number = digitsOnly(c.Number)
	switch {
	case number == "":
		errs["cardNumber"] = errIncompleteNumber
	case !allDigits(number) || len(number) < 12 || len(number) > 19 || !luhn(number):
		errs["cardNumber"] = errInvalidNumber
	}
	exp := strings.ReplaceAll(strings.TrimSpace(c.Expiry), " ", "")
	mm, yy, ok := strings.Cut(exp, "/")
	switch {
	case !ok || !allDigits(mm) || !allDigits(yy) || len(mm) < 1 || len(mm) > 2 || (len(yy) != 2 && len(yy) != 4):
		errs["expiry"] = errIncompleteExpiry
	default:
		month, _ = strconv.Atoi(mm)
		year, _ = strconv.Atoi(yy)
		if year < 100 {
			year += 2000
		}
		switch {
		case month < 1 || month > 12:
			errs["expiry"] = errInvalidMonth
		case year < now.Year() || (year == now.Year() && month < int(now.Month())):
			errs["expiry"] = errInvalidYear
		}
	}
	cvc := strings.TrimSpace(c.CVC)
	wantCVC := 3
	if brandOf(number) == "AMEX" {
		wantCVC = 4
	}
	switch {
	case cvc == "":
		errs["cvc"] = errIncompleteCVC
	case !allDigits(cvc) || len(cvc) != wantCVC:
		errs["cvc"] = errInvalidCVC
	}
	return number, month, year, errs
}

// challenge is a 3DS challenge waiting for the buyer's OTP.
type challenge struct {
	card      TestCard
	number    string
	month     int
	year      int
	holder    string
	triesLeft int
}

// PayOutcome is what the buyer sees after submitting the checkout.
type PayOutcome struct {
	PaymentRequestID string `json:"paymentRequestId"`
	PaymentID        string `json:"paymentId"`
	// Status is the payment status after the attempt: PROCESSING (waiting
	// for the form to be corrected or for a 3DS challenge), PENDING,
	// SUCCESS, FAIL or CANCELLED.
	Status        string `json:"status"`
	ResultCode    string `json:"resultCode,omitempty"`
	ResultMessage string `json:"resultMessage,omitempty"`
	// SDKEvent is the event code the client SDK would report to the app;
	// empty while a 3DS challenge waits.
	SDKEvent string `json:"sdkEvent,omitempty"`
	// FormErrors maps a form field (cardNumber, expiry, cvc, otp) to an
	// error code such as invalid_expiry_month; nothing was charged.
	FormErrors map[string]string `json:"formErrors,omitempty"`
	// Challenge is true while a 3DS challenge waits for the OTP.
	Challenge bool `json:"challenge,omitempty"`
	// ChallengeTriesLeft is how many OTP attempts remain.
	ChallengeTriesLeft int `json:"challengeTriesLeft,omitempty"`
	// RedirectURL is the merchant's paymentRedirectUrl.
	RedirectURL string `json:"redirectUrl"`
	// SDKEventReport says how reporting the SDK event to Config.SDKEventURL
	// went ("" when not configured).
	SDKEventReport string `json:"sdkEventReport,omitempty"`
}

func (s *Simulator) outcomeLocked(p *payment) PayOutcome {
	o := PayOutcome{
		PaymentRequestID: p.requestID,
		PaymentID:        p.paymentID,
		Status:           p.status,
		ResultCode:       p.resultCode,
		ResultMessage:    p.resultMessage,
		RedirectURL:      p.redirectURL,
	}
	switch p.status {
	case antom.PaymentSuccess:
		o.SDKEvent = antom.SDKPaymentSuccessful
	case antom.PaymentFail:
		o.SDKEvent = antom.SDKPaymentFail
	case antom.PaymentPending:
		o.SDKEvent = antom.SDKPaymentProcessing
	case antom.PaymentCancelled:
		o.SDKEvent = antom.SDKPaymentError
	}
	if p.challenge != nil {
		o.Challenge = true
		o.ChallengeTriesLeft = p.challenge.triesLeft
	}
	return o
}

// submitCardLocked runs one checkout submission: form checks, risk, 3DS,
// then the issuer. The caller holds s.mu and has checked that the session
// is payable.
func (s *Simulator) submitCardLocked(p *payment, c Card, now time.Time) PayOutcome {
	number, month, year, errs := validateCard(c, now)
	if len(errs) > 0 {
		o := s.outcomeLocked(p)
		o.FormErrors = errs
		o.SDKEvent = antom.SDKFormVerificationFailed
		return o
	}
	p.challenge = nil
	card, known := findTestCard(number)
	if !known {
		card = TestCard{Number: number, Brand: brandOf(number), Region: "GLOBAL", Funding: "CREDIT", outcome: "fail", ResultCode: codeInvalidCard, message: "the card is not a sandbox test card"}
	}
	p.card = cardInfo(card, number, month, year, s.tokenLocked(now), c.Holder)
	if p.value == RiskRejectAmountValue {
		s.failLocked(p, codeRiskReject, "the payment was rejected by risk control", now)
		return s.outcomeLocked(p)
	}
	if !known {
		s.declineLocked(p, card.ResultCode, now)
		s.failLocked(p, card.ResultCode, card.message, now)
		return s.outcomeLocked(p)
	}
	if card.exempt {
		// The issuer's ACS applies the exemption: authenticated without a
		// challenge, whether or not the session asked for 3DS.
		p.card.ThreeDSResult = threeDS(card.Brand, p.paymentID, "frictionless", "LOW_RISK")
	}
	if p.threeDS {
		if !card.exempt {
			p.challenge = &challenge{card: card, number: number, month: month, year: year, holder: c.Holder, triesLeft: maxChallengeTries}
			return s.outcomeLocked(p)
		}
	}
	s.issuerLocked(p, card, now)
	return s.outcomeLocked(p)
}

// answerChallengeLocked checks the buyer's OTP. The caller holds s.mu.
func (s *Simulator) answerChallengeLocked(p *payment, otp string, now time.Time) PayOutcome {
	ch := p.challenge
	if strings.TrimSpace(otp) != ThreeDSOTP {
		ch.triesLeft--
		if ch.triesLeft <= 0 {
			p.challenge = nil
			p.card.ThreeDSResult = threeDS(p.card.CardBrand, p.paymentID, "failed", "")
			s.failLocked(p, codeUserVerificationFailed, "3D Secure authentication failed", now)
			return s.outcomeLocked(p)
		}
		o := s.outcomeLocked(p)
		o.FormErrors = map[string]string{"otp": errInvalidOTP}
		return o
	}
	p.challenge = nil
	p.card.ThreeDSResult = threeDS(p.card.CardBrand, p.paymentID, "authenticated", "")
	s.issuerLocked(p, ch.card, now)
	return s.outcomeLocked(p)
}

// cancelChallengeLocked is the buyer cancelling the 3DS challenge: the
// authentication ends with challengeCancel 01 and the payment fails with
// USER_PAYMENT_VERIFICATION_FAILED. The caller holds s.mu.
func (s *Simulator) cancelChallengeLocked(p *payment, now time.Time) PayOutcome {
	p.challenge = nil
	p.card.ThreeDSResult = threeDS(p.card.CardBrand, p.paymentID, "cancelled", "")
	s.failLocked(p, codeUserVerificationFailed, "the buyer cancelled the 3D Secure challenge", now)
	return s.outcomeLocked(p)
}

// issuerLocked applies the issuer's answer for a known card.
func (s *Simulator) issuerLocked(p *payment, card TestCard, now time.Time) {
	switch card.outcome {
	case "success":
		s.approveLocked(p, now)
		s.succeedLocked(p, now)
	case "pending":
		p.status = antom.PaymentPending
		p.resultCode = codePaymentInProcess
		p.resultMessage = "the buyer completed the payment; the final result is pending"
		s.sendInOrderLocked(p, s.pendingNotification(p))
	default:
		s.declineLocked(p, card.ResultCode, now)
		s.failLocked(p, card.ResultCode, card.message, now)
	}
}

func (s *Simulator) succeedLocked(p *payment, now time.Time) {
	p.status = antom.PaymentSuccess
	p.resultCode = codeSuccess
	p.resultMessage = "success"
	p.paymentTime = now
	p.authExpiry = now.Add(AuthorizationWindow)
	notes := []*antom.Notification{s.paymentNotification(p)}
	if p.captureMode == antom.CaptureAutomatic {
		c := &capture{
			requestID: "auto_" + p.paymentID,
			captureID: s.newIDLocked(now),
			paymentID: p.paymentID,
			amount:    p.amount,
			currency:  p.currency,
			at:        now,
			auto:      true,
		}
		p.captures = append(p.captures, c)
		p.captured = p.amount
		p.lastCapture = true
		s.captures[c.captureID] = c
		notes = append(notes, s.captureNotification(c))
		if s.faults.Reorder {
			notes[0], notes[1] = notes[1], notes[0]
		}
	}
	s.sendInOrderLocked(p, notes...)
	s.log.Info("sim: payment succeeded", "paymentRequestId", p.requestID, "paymentId", p.paymentID)
}

func (s *Simulator) failLocked(p *payment, code, msg string, now time.Time) {
	p.status = antom.PaymentFail
	p.resultCode = code
	p.resultMessage = msg
	p.challenge = nil
	s.sendInOrderLocked(p, s.paymentNotification(p))
	s.log.Info("sim: payment failed", "paymentRequestId", p.requestID, "code", code)
}

// closeOrder closes an order that is still unpaid when its close time comes.
func (s *Simulator) closeOrder(requestID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payments[requestID]
	if p == nil || p.final() {
		return
	}
	s.failLocked(p, codeOrderIsClosed, "the order was closed because it was not paid in time", s.clock.Now())
	s.changedLocked(p)
}

func (s *Simulator) tokenLocked(now time.Time) string {
	return "CT" + s.newIDLocked(now)
}

// cardInfo is what the card form and the BIN tell about a card; the
// issuer's answer is added by approveLocked or declineLocked.
func cardInfo(c TestCard, number string, month, year int, token, holder string) *antom.PaymentResultInfo {
	holder = strings.TrimSpace(holder)
	if holder == "" {
		holder = DefaultCardholderName
	}
	return &antom.PaymentResultInfo{
		CardNo:              number[:6] + strings.Repeat("*", len(number)-10) + number[len(number)-4:],
		CardBrand:           c.Brand,
		CardToken:           token,
		IssuingCountry:      c.Country,
		IssuerName:          c.Issuer,
		Funding:             c.Funding,
		CardCategory:        c.Category,
		PaymentMethodRegion: c.Region,
		CardholderName:      holder,
		CardBin:             number[:6],
		LastFour:            number[len(number)-4:],
		ExpiryMonth:         fmt.Sprintf("%02d", month),
		ExpiryYear:          fmt.Sprintf("%02d", year%100),
	}
}
