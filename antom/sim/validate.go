package sim

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"paydesk/antom"
)

// checkID validates an ID field: required (if req), at most max characters,
// printable ASCII only (the seed's FAQ asks for no Chinese characters).
func checkID(field, v string, max int, req bool) error {
	if v == "" {
		if req {
			return paramf("%s is required", field)
		}
		return nil
	}
	if err := checkASCII(field, v); err != nil {
		return err
	}
	if len(v) > max {
		return paramf("%s is longer than %d characters", field, max)
	}
	return nil
}

// checkEitherID checks a lookup by one of two IDs (inquiries and cancel):
// at least one is given, and each given one passes checkID with Antom's
// 64-character limit. The missing-ID message names them in the order given.
func checkEitherID(field1, v1, field2, v2 string) error {
	if v1 == "" && v2 == "" {
		return paramf("%s or %s is required", field1, field2)
	}
	if err := checkID(field1, v1, 64, false); err != nil {
		return err
	}
	return checkID(field2, v2, 64, false)
}

// checkASCII refuses anything but printable ASCII.
func checkASCII(field, v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return paramf("%s must be printable ASCII (found %q)", field, firstRune(v[i:]))
		}
	}
	return nil
}

func firstRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return string(r)
}

// checkText validates a free-text field by length in characters, and
// optionally for printable ASCII.
func checkText(field, v string, max int, ascii bool) error {
	if ascii {
		if err := checkASCII(field, v); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(v) > max {
		return paramf("%s is longer than %d characters", field, max)
	}
	return nil
}

// checkURL validates an optional absolute http(s) URL.
func checkURL(field, v string, max int, req bool) error {
	if v == "" {
		if req {
			return paramf("%s is required", field)
		}
		return nil
	}
	if len(v) > max {
		return paramf("%s is longer than %d characters", field, max)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return paramf("%s must be an absolute http or https URL", field)
	}
	return nil
}

// checkAmount validates an Amount and returns its minor units: a currency
// Antom knows and a whole number of minor units of at least min.
func checkAmount(field string, a antom.Amount, min int64) (int64, error) {
	if a.Currency == "" {
		return 0, paramf("%s.currency is required", field)
	}
	if _, err := antom.Exponent(a.Currency); err != nil {
		return 0, paramf("%s.currency %q is not a supported ISO 4217 code", field, a.Currency)
	}
	if a.Value == "" {
		return 0, paramf("%s.value is required", field)
	}
	n, err := antom.ParseValue(a.Value)
	if err != nil {
		return 0, paramf("%s.value: %v", field, err)
	}
	if n < min {
		return 0, paramf("%s.value must be at least %d", field, min)
	}
	return n, nil
}

// sessionInput is a validated createPaymentSession request.
type sessionInput struct {
	req         antom.CreatePaymentSessionRequest
	amount      int64
	captureMode string
	threeDS     bool
	expiry      time.Time // as requested; zero when not
}

// validateSession checks a createPaymentSession request (section 5.1) and
// returns the first problem as a PARAM_ILLEGAL message naming the field.
func validateSession(req *antom.CreatePaymentSessionRequest) (*sessionInput, error) {
	in := &sessionInput{req: *req}
	if req.ProductCode == "" {
		return nil, paramf("productCode is required")
	}
	if req.ProductCode != "CASHIER_PAYMENT" {
		return nil, paramf("productCode must be CASHIER_PAYMENT")
	}
	if err := checkID("paymentRequestId", req.PaymentRequestID, 64, true); err != nil {
		return nil, err
	}
	amount, err := checkAmount("paymentAmount", req.PaymentAmount, 1)
	if err != nil {
		return nil, err
	}
	in.amount = amount
	if req.Order == nil {
		return nil, paramf("order is required")
	}
	o := req.Order
	if err := checkID("order.referenceOrderId", o.ReferenceOrderID, 64, false); err != nil {
		return nil, err
	}
	if err := checkText("order.orderDescription", o.OrderDescription, 256, true); err != nil {
		return nil, err
	}
	if o.OrderAmount != nil {
		if _, err := checkAmount("order.orderAmount", *o.OrderAmount, 0); err != nil {
			return nil, err
		}
	}
	if o.Buyer != nil {
		if err := checkID("order.buyer.referenceBuyerId", o.Buyer.ReferenceBuyerID, 64, false); err != nil {
			return nil, err
		}
		if err := checkText("order.buyer.buyerEmail", o.Buyer.BuyerEmail, 64, false); err != nil {
			return nil, err
		}
		if err := checkText("order.buyer.buyerPhoneNo", o.Buyer.BuyerPhoneNo, 24, false); err != nil {
			return nil, err
		}
	}
	if len(o.Goods) > 100 {
		return nil, paramf("order.goods has more than 100 items")
	}
	for i, g := range o.Goods {
		field := fmt.Sprintf("order.goods[%d]", i)
		if err := checkID(field+".referenceGoodsId", g.ReferenceGoodsID, 64, false); err != nil {
			return nil, err
		}
		if err := checkText(field+".goodsName", g.GoodsName, 256, true); err != nil {
			return nil, err
		}
		if err := checkText(field+".goodsCategory", g.GoodsCategory, 64, true); err != nil {
			return nil, err
		}
		if g.GoodsUnitAmount != nil {
			if _, err := checkAmount(field+".goodsUnitAmount", *g.GoodsUnitAmount, 0); err != nil {
				return nil, err
			}
		}
	}
	if req.PaymentMethod == nil {
		return nil, paramf("paymentMethod is required")
	}
	switch req.PaymentMethod.PaymentMethodType {
	case "":
		return nil, paramf("paymentMethod.paymentMethodType is required")
	case "CARD":
	default:
		return nil, paramf("paymentMethod.paymentMethodType %q is not simulated; only CARD is", req.PaymentMethod.PaymentMethodType)
	}
	if err := checkText("paymentMethod.paymentMethodId", req.PaymentMethod.PaymentMethodID, 128, true); err != nil {
		return nil, err
	}
	threeDS, err := metaBool(req.PaymentMethod.PaymentMethodMetaData, "is3DSAuthentication")
	if err != nil {
		return nil, err
	}
	in.threeDS = threeDS
	if err := checkURL("paymentRedirectUrl", req.PaymentRedirectURL, 2048, true); err != nil {
		return nil, err
	}
	if err := checkURL("paymentNotifyUrl", req.PaymentNotifyURL, 2048, false); err != nil {
		return nil, err
	}
	if ss := req.SettlementStrategy; ss != nil && ss.SettlementCurrency != "" {
		if _, err := antom.Exponent(ss.SettlementCurrency); err != nil {
			return nil, paramf("settlementStrategy.settlementCurrency %q is not a supported ISO 4217 code", ss.SettlementCurrency)
		}
	}
	in.captureMode = antom.CaptureAutomatic
	if pf := req.PaymentFactor; pf != nil {
		switch pf.CaptureMode {
		case "", antom.CaptureAutomatic:
		case antom.CaptureManual:
			in.captureMode = antom.CaptureManual
		default:
			return nil, paramf("paymentFactor.captureMode must be AUTOMATIC or MANUAL")
		}
	}
	if err := checkText("locale", req.Locale, 8, true); err != nil {
		return nil, err
	}
	if req.PaymentSessionExpiryTime != "" {
		t, err := time.Parse(time.RFC3339, req.PaymentSessionExpiryTime)
		if err != nil {
			return nil, paramf("paymentSessionExpiryTime must be an ISO 8601 datetime with offset, e.g. 2024-05-11T10:13:00+08:00")
		}
		in.expiry = t
	}
	return in, nil
}

// sessionExpiry returns when a new session expires: as requested, which
// must be within 1 hour of creation, or 1 hour after it. It is checked only
// for a new session, so that a replay gets the stored answer.
func (in *sessionInput) sessionExpiry(now time.Time) (time.Time, error) {
	if in.expiry.IsZero() {
		return now.Add(DefaultSessionExpiry), nil
	}
	if !in.expiry.After(now) {
		return time.Time{}, paramf("paymentSessionExpiryTime must be in the future")
	}
	// A minute of grace for the merchant's clock.
	if in.expiry.After(now.Add(DefaultSessionExpiry + time.Minute)) {
		return time.Time{}, paramf("paymentSessionExpiryTime must be at most 1 hour after creation")
	}
	return in.expiry, nil
}

// metaBool reads a paymentMethodMetaData flag sent as a JSON boolean or as
// the string "true"/"false" (section 2.1: accept both).
func metaBool(meta map[string]any, key string) (bool, error) {
	v, ok := meta[key]
	if !ok || v == nil {
		return false, nil
	}
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		switch strings.ToLower(b) {
		case "true":
			return true, nil
		case "false", "":
			return false, nil
		}
	}
	return false, paramf("paymentMethod.paymentMethodMetaData.%s must be true or false", key)
}
