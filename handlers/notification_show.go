package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// NotificationShow handles the "GET /notifications/:id" route: one delivery
// with its headers, the body pretty-printed and byte for byte, the exact
// content its signature was checked against, and our answer. Roles without
// buyer-data access see buyer and card fields redacted and no raw bytes.
// Every view of the body is bounded (prettyBounded, clipText): past the
// bounds the page says so and links to the download of the stored body.
func (h *Handlers) NotificationShow(c echo.Context) error {
	d, err := h.delivery(c)
	if err != nil {
		return err
	}
	full := can(currentUser(c), PermViewBuyerData)
	vm := pages.DeliveryPage{
		ID:         strconv.FormatInt(d.ID, 10),
		ListURL:    paths.Notifications,
		Verdict:    verdictBadge(d.Verdict),
		Outcome:    outcomeBadge(d.Outcome),
		ParseError: d.ParseError,
		Headers:    headerRows(d.Headers),
		Response:   strconv.Itoa(d.ResponseStatus) + " " + http.StatusText(d.ResponseStatus) + "\n" + d.ResponseBody,
		Summary: []pages.Field{
			{Label: "Received", At: stampOf(d.ReceivedAt, h.viewerNow(c))},
			{Label: "Path", Value: d.Path, Mono: true},
			{Label: "notifyType", Value: d.NotifyType, Mono: true, TestID: "notify-type"},
			{Label: "Result", Value: resultText(d.ResultStatus, d.ResultCode, ""), Mono: true},
			{Label: "client-id", Value: d.ClientID, Mono: true},
			{Label: "request-time", Value: d.RequestTime, Mono: true},
			{Label: "request-time vs receipt", Value: skewText(d), TestID: "request-skew"},
			{Label: "Body", Value: bodyFacts(d), Mono: true, TestID: "body-facts"},
			{Label: "Dedupe key", Value: d.DedupeKey, Mono: true},
			{Label: "Subject", Value: firstNonEmpty(d.SubjectID, d.PaymentID), Mono: true},
		},
	}
	if d.PaymentRequestID != "" {
		vm.PaymentURL = paths.Payment(d.PaymentRequestID)
	}
	if d.DuplicateOf != 0 {
		vm.DuplicateOf = paths.Notification(d.DuplicateOf)
	}
	var refused string // why the body is not pretty-printed, past the bounds
	var cut bool       // the raw text shown is cut short
	if full {
		vm.Pretty, refused = prettyBounded(d.Body)
		vm.Raw, cut = clipText(d.Body, rawShown)
		vm.RawURL = paths.NotificationRaw(d.ID)
		vm.SignedText, _ = clipText(antom.SignContent("POST", d.Path, d.ClientID, d.RequestTime, d.Body), rawShown)
	} else {
		red := redactJSON(d.Body)
		vm.Pretty, refused = prettyBounded(red)
		vm.Raw = "Raw bytes are hidden for your role; buyer and card fields above are redacted."
		if refused != "" {
			// Too large or deep to indent: the redacted JSON as it is, cut.
			vm.Raw, cut = clipText(red, rawShown)
		}
		for i := range vm.Headers {
			if strings.EqualFold(vm.Headers[i].Name, antom.HeaderSignature) {
				vm.Headers[i].Value = "[redacted]"
			}
		}
	}
	h.noteCuts(&vm, d, refused, cut)
	if isHTMX(c) {
		return render(c, http.StatusOK, pages.NotificationBody(vm))
	}
	if err := h.deliveryTools(c, &vm, d); err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.NotificationShow(h.page(c, "Delivery "+vm.ID, layout.NavNotifications), vm))
}

// NotificationRaw handles the "GET /notifications/:id/raw" route: the
// delivery's body exactly as received, as a download. It needs the
// buyer-data permission, since the body is not redacted.
func (h *Handlers) NotificationRaw(c echo.Context) error {
	if err := requirePermission(c, PermViewBuyerData); err != nil {
		return err
	}
	d, err := h.delivery(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="delivery-`+strconv.FormatInt(d.ID, 10)+`.json"`)
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, echo.MIMEOctetStream, d.Body)
}

// delivery loads the delivery named by the :id parameter.
func (h *Handlers) delivery(c echo.Context) (*store.Delivery, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, errNotFound("No notification %s.", abbreviate(c.Param("id"), notFoundPathShown))
	}
	d, err := h.Store.GetDelivery(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound("No notification %d.", id)
	}
	return d, err
}

// headerRows lists headers sorted by name, one row per value.
func headerRows(hs map[string][]string) []pages.Header {
	names := make([]string, 0, len(hs))
	for k := range hs {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []pages.Header
	for _, k := range names {
		for _, v := range hs[k] {
			out = append(out, pages.Header{Name: k, Value: v})
		}
	}
	return out
}

// redactedKeys are the payload fields that identify a buyer or a card
// (Antom's buyer, paymentResultInfo and env objects). Matching is by key at
// any depth.
var redactedKeys = map[string]bool{
	"buyerEmail": true, "buyerPhoneNo": true, "buyerName": true, "firstName": true, "middleName": true,
	"lastName": true, "fullName": true, "cardholderName": true, "cardNo": true, "cardBin": true,
	"cardToken": true, "accountNo": true, "expiryMonth": true, "expiryYear": true, "clientIp": true,
	"shipping": true, "shippingAddress": true, "billingAddress": true,
	"pspCustomerInfo": true, "cavv": true, "xid": true,
}

// redactJSON replaces buyer and card fields of a JSON document with
// "[redacted]"; a body that is not JSON becomes a note saying so.
func redactJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []byte(`"[not JSON; hidden]"`)
	}
	out, err := json.Marshal(redactValue(v))
	if err != nil {
		return []byte(`"[hidden]"`)
	}
	return out
}

func redactValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if redactedKeys[k] {
				t[k] = "[redacted]"
				continue
			}
			t[k] = redactValue(val)
		}
	case []any:
		for i := range t {
			t[i] = redactValue(t[i])
		}
	}
	return v
}
