package handlers

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
)

// MaxWebhookBody is the largest notification body accepted; Antom's
// notifications are a few KiB.
const MaxWebhookBody = 64 << 10

// webhookAnswer is what the webhook says back: a status and the exact JSON
// body, stored with the delivery before it is sent.
type webhookAnswer struct {
	status int
	body   string
}

// webhookError builds a JSON error answer in the same envelope as the central
// error handler uses for /webhooks/.
func webhookError(status int, code, message string) webhookAnswer {
	b, _ := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: message}})
	return webhookAnswer{status: status, body: string(b)}
}

// WebhookAntom handles the "POST /webhooks/antom" route: every notifyType
// Antom sends to paymentNotifyUrl. It reads the raw body (413 beyond
// MaxWebhookBody), verifies the signature over the path as received, stores
// the delivery whatever the verdict and, only after the commit, answers
// Antom's acknowledgement (200), 401 for a missing or bad signature (or,
// with WebhookConfig.MaxSkew, a request-time too far from now), or 400 for
// a verified body that is not a notification. A refused delivery (not
// accepted as Antom's) is stored summarised; past the refused-delivery rate
// limits it is answered 429 with Retry-After and only counted. When the
// database cannot store it (full disk, lock: store.ErrUnavailable) the
// answer is 503 with Retry-After and nothing is acknowledged.
func (h *Handlers) WebhookAntom(c echo.Context) error {
	start := time.Now()
	r := c.Request()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	if err != nil {
		return errInvalid("", "could not read the request body")
	}
	now := h.Now()
	in := store.DeliveryInput{
		ReceivedAt:  now,
		Path:        r.URL.EscapedPath(),
		RawQuery:    r.URL.RawQuery,
		Headers:     r.Header.Clone(),
		Body:        body,
		ClientID:    r.Header.Get(antom.HeaderClientID),
		RequestTime: r.Header.Get(antom.HeaderRequestTime),
	}
	outcome := "not_stored"
	defer func() { h.Metrics.WebhookDelivery(string(in.Verdict), outcome, time.Since(start)) }()
	if in.RequestTime != "" {
		if at, err := antom.ParseRequestTime(in.RequestTime); err != nil {
			in.RequestTimeError = err.Error()
		} else {
			in.RequestTimeAt = at
		}
	}
	var ans webhookAnswer
	if len(body) > MaxWebhookBody {
		// Stored summarised, with the size and SHA-256 of what was read.
		in.Verdict = store.VerdictUnverifiable
		in.ParseError = "body larger than 64 KiB; the rest was not read, not verified"
		ans = webhookError(http.StatusRequestEntityTooLarge, "too_large", "The notification body is larger than 64 KiB.")
	} else {
		in.Verdict = verifyNotification(h.notifyKey(), r, in, body)
		var refused bool
		if ans, refused = h.checkRequestTime(&in, now); !refused {
			ans = h.judgeNotification(&in, r.Header.Get(echo.HeaderContentEncoding))
		}
	}
	if in.Refused || in.Verdict != store.VerdictOK {
		source := sourceOf(c.RealIP())
		if ok, wait := h.refused.allow(source, now); !ok {
			h.refused.drop(source, now)
			outcome = "rate_limited"
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			ans = webhookError(http.StatusTooManyRequests, "rate_limited",
				"Too many refused notifications from this address; this one was not stored. Retry later.")
			return c.Blob(ans.status, echo.MIMEApplicationJSON, []byte(ans.body))
		}
	}
	in.ResponseStatus, in.ResponseBody = ans.status, ans.body

	res, err := h.Store.IngestNotification(r.Context(), in)
	if err != nil && in.Notification != nil && r.Context().Err() == nil && !errors.Is(err, store.ErrUnavailable) && !errors.Is(err, store.ErrCommitUnknown) {
		// Applying it failed, which storing a refusal will not: keep the
		// delivery as not applied and answer an error, so Antom retries
		// and the notification is on the notifications page meanwhile.
		// A storage failure (full disk, lock) would fail that write too:
		// it is answered 503 below, and Antom's retry applies it.
		h.Log.ErrorContext(r.Context(), "webhook: apply notification", "err", err.Error())
		in.NotApplied = true
		in.ParseError = "verified, but could not be applied: " + err.Error()
		ans = webhookError(http.StatusInternalServerError, "not_applied", "The notification could not be applied; retry later.")
		in.ResponseStatus, in.ResponseBody = ans.status, ans.body
		res, err = h.Store.IngestNotification(r.Context(), in)
	}
	if err != nil {
		// Not stored, so not acknowledged: Antom retries (a storage
		// failure adds Retry-After).
		h.Log.ErrorContext(r.Context(), "webhook: store delivery", "err", err.Error())
		return errUnavailable(err, "The notification could not be stored; retry later.")
	}
	outcome = string(res.Outcome)
	if ans.status == http.StatusInternalServerError {
		outcome = "not_applied" // verified and stored, but applying it failed
	}
	h.Log.InfoContext(r.Context(), "webhook: delivery", "delivery", res.DeliveryID, "verdict", string(in.Verdict),
		"outcome", string(res.Outcome), "payment", res.PaymentRequestID, "status", ans.status)
	// A contradiction (res.NeedsInquiry) is answered by an inquiry, never
	// from inside this handler: the store scheduled the payment for the
	// poller's next round.
	return c.Blob(ans.status, echo.MIMEApplicationJSON, []byte(ans.body))
}

// checkRequestTime refuses a verified delivery whose request-time is
// further from now than WebhookConfig.MaxSkew allows (when set): it is
// marked refused, with the reason as its parse error, and answered 401 so
// that Antom retries. Unverified deliveries are answered for their
// signature; an unparseable request-time is only recorded.
func (h *Handlers) checkRequestTime(in *store.DeliveryInput, now time.Time) (webhookAnswer, bool) {
	window := h.Webhook.MaxSkew
	if window <= 0 || in.Verdict != store.VerdictOK || in.RequestTimeAt.IsZero() {
		return webhookAnswer{}, false
	}
	skew := now.Sub(in.RequestTimeAt)
	if skew.Abs() <= window {
		return webhookAnswer{}, false
	}
	side := "behind"
	if skew < 0 {
		side = "ahead of"
	}
	reason := fmt.Sprintf("request-time %s is %s %s the server's clock; at most %s is allowed",
		in.RequestTime, skew.Abs().Round(time.Second), side, window)
	in.Refused = true
	in.ParseError = reason + " (PAYDESK_NOTIFY_MAX_SKEW)"
	return webhookError(http.StatusUnauthorized, "request_time_skew", "The "+reason+"."), true
}

// judgeNotification parses a delivery whose verdict is known and decides the
// answer; only a verified, well-formed notification for this merchant's
// client-id is acknowledged. encoding is the Content-Encoding header.
func (h *Handlers) judgeNotification(in *store.DeliveryInput, encoding string) webhookAnswer {
	if enc := strings.TrimSpace(encoding); enc != "" && !strings.EqualFold(enc, "identity") {
		// Antom signs the JSON; a compressed body cannot be verified as sent.
		in.ParseError = "Content-Encoding " + enc + " is not supported"
		return webhookError(http.StatusUnsupportedMediaType, "unsupported_encoding",
			"Send the notification uncompressed; Content-Encoding "+enc+" is not supported.")
	}
	switch in.Verdict {
	case store.VerdictOK:
	case store.VerdictMissing:
		return webhookError(http.StatusUnauthorized, "missing_signature", "The signature, client-id or request-time header is missing.")
	case store.VerdictUnverifiable:
		return webhookError(http.StatusUnauthorized, "unverifiable", "No Antom public key is configured to verify notifications.")
	default:
		return webhookError(http.StatusUnauthorized, "invalid_signature", "The signature does not verify.")
	}
	if h.Antom != nil && in.ClientID != h.Antom.ClientID() {
		// Authentic, but about another merchant account (a sandbox
		// notification reaching production, say), where the same
		// paymentRequestId may mean another payment: kept, never applied.
		in.ParseError = "the notification is for client-id " + in.ClientID + ", not this merchant's " + h.Antom.ClientID()
		return webhookError(http.StatusForbidden, "client_mismatch",
			"The notification is for client-id "+in.ClientID+", which is not this merchant's.")
	}
	n, err := antom.ParseNotification(in.Body)
	if err == nil {
		err = checkTxnAmount(n)
	}
	if err != nil {
		in.ParseError = err.Error()
		return webhookError(http.StatusBadRequest, "malformed", "The notification is not valid: "+err.Error())
	}
	in.Notification = n
	return webhookAnswer{status: http.StatusOK, body: antom.AckBody}
}

// checkTxnAmount refuses a capture or refund result for no money: the
// protocol's captureAmount and refundAmount values are at least 1 (section
// 6), and the ledger cannot record a capture or refund of nothing.
func checkTxnAmount(n *antom.Notification) error {
	var field string
	var a *antom.Amount
	switch n.NotifyType {
	case antom.NotifyCaptureResult:
		field, a = "captureAmount", n.CaptureAmount
	case antom.NotifyRefundResult:
		field, a = "refundAmount", n.RefundAmount
	default:
		return nil
	}
	if v, err := a.Minor(); err != nil || v <= 0 {
		return fmt.Errorf("antom: notification %s: %s.value %q is not a positive amount", n.NotifyType, field, a.Value)
	}
	return nil
}

// verifyNotification checks a notification's signature (protocol section
// 3.3) over "POST <path as received>\n<client-id>.<request-time>.<raw body>".
// Where a query string was present, the path with the query is tried too,
// since which form Antom signs is unconfirmed.
func verifyNotification(key *rsa.PublicKey, r *http.Request, in store.DeliveryInput, body []byte) store.Verdict {
	sig := r.Header.Get(antom.HeaderSignature)
	if sig == "" || in.ClientID == "" || in.RequestTime == "" {
		return store.VerdictMissing
	}
	if key == nil {
		return store.VerdictUnverifiable
	}
	err := antom.VerifyMessage(key, in.Path, in.ClientID, in.RequestTime, sig, body)
	if err != nil && r.URL.RawQuery != "" {
		err = antom.VerifyMessage(key, in.Path+"?"+r.URL.RawQuery, in.ClientID, in.RequestTime, sig, body)
	}
	switch {
	case err == nil:
		return store.VerdictOK
	case errors.Is(err, antom.ErrMissingSignature):
		return store.VerdictMissing
	default:
		return store.VerdictBad
	}
}

// notifyKey is the key notifications are verified with: Antom's public key,
// which the API client also verifies responses with.
func (h *Handlers) notifyKey() *rsa.PublicKey {
	if h.Antom == nil {
		return nil
	}
	return h.Antom.AntomPublicKey()
}
