package antom

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Region base URLs (section 1.2).
const (
	BaseURLSG = "https://open-sea-global.alipay.com"
	BaseURLNA = "https://open-na-global.alipay.com"
	BaseURLEU = "https://open-de-global.alipay.com"
)

// API paths (production form; the client rewrites them for sandbox IDs).
const (
	PathCreatePaymentSession = "/ams/api/v1/payments/createPaymentSession"
	PathInquiryPayment       = "/ams/api/v1/payments/inquiryPayment"
	PathCapture              = "/ams/api/v1/payments/capture"
	PathCancel               = "/ams/api/v1/payments/cancel"
	PathRefund               = "/ams/api/v1/payments/refund"
	PathInquiryRefund        = "/ams/api/v1/payments/inquiryRefund"
)

// SandboxPath rewrites the first "/ams/api" to "/ams/sandbox/api" as every
// official SDK does for client IDs starting with SANDBOX_ (section 1.1).
func SandboxPath(path string) string {
	return strings.Replace(path, "/ams/api", "/ams/sandbox/api", 1)
}

// IsSandboxClientID reports whether a client ID selects Antom's sandbox.
func IsSandboxClientID(clientID string) bool { return strings.HasPrefix(clientID, "SANDBOX_") }

// ResultError is Antom's result when it is not S: the call reached Antom and
// Antom answered F or U. Inspect it with errors.As.
type ResultError struct {
	API    string // e.g. "capture"
	Result Result
}

// Error reads "antom: <api>: <status> <code>: <message>".
func (e *ResultError) Error() string {
	return fmt.Sprintf("antom: %s: %s %s: %s", e.API, e.Result.ResultStatus, e.Result.ResultCode, e.Result.ResultMessage)
}

// Unknown reports whether the outcome is unknown (U): the request may or
// may not have taken effect, and only the same request IDs may be reused.
func (e *ResultError) Unknown() bool { return e.Result.ResultStatus == StatusUnknown }

// TransportError means the outcome of a call is unknown because no valid
// answer came back: a network error, a timeout, a non-200 status or a body
// that is not Antom's JSON. Repeating the call with the same request IDs is
// safe; a fresh request ID is not.
type TransportError struct {
	API        string
	StatusCode int // the HTTP status when one came back, else 0
	Err        error
}

// Error reads "antom: <api>: <cause>".
func (e *TransportError) Error() string { return fmt.Sprintf("antom: %s: %v", e.API, e.Err) }

// Unwrap returns the underlying error, e.g. context.DeadlineExceeded.
func (e *TransportError) Unwrap() error { return e.Err }

// retryable reports whether sending the same request again can help: no
// answer at all, a 5xx or a 429. Any other status will not change.
func (e *TransportError) retryable() bool {
	return e.StatusCode == 0 || e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}

// ErrUnsignedResponse is returned when a response claims success (S) without
// a signature; unsigned F and U answers are accepted as the SDKs do (section
// 2.2).
var ErrUnsignedResponse = errors.New("antom: response with result S carries no signature")

// Client calls Antom's payment APIs. It is safe for concurrent use.
//
// Each API method returns the decoded answer with a nil error when Antom
// answered S, and also alongside a *ResultError for F and U. After any other
// error (*TransportError, ErrUnsignedResponse, a bad signature) the answer
// is empty: nothing unverified is ever decoded into it.
type Client struct {
	baseURL    string
	clientID   string
	key        *rsa.PrivateKey
	antomKey   *rsa.PublicKey
	httpClient *http.Client
	timeout    time.Duration
	retries    int
	backoff    time.Duration
	now        func() time.Time
	observe    func(Exchange)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) {
		if h != nil {
			c.httpClient = h
		}
	}
}

// WithTimeout sets the timeout of each HTTP exchange (default 15 s). A call
// that retries can take longer; bound the whole call with its context.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetries sets how many times a call that is safe to repeat is retried
// (default 2, so at most 3 attempts). 0 disables retries.
func WithRetries(n int) Option { return func(c *Client) { c.retries = max(n, 0) } }

// WithRetryBackoff sets the pause before the first retry (default 200 ms);
// the n-th retry waits n times as long.
func WithRetryBackoff(d time.Duration) Option { return func(c *Client) { c.backoff = d } }

// WithClock sets the clock used for request-time.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// Exchange is one HTTP exchange with Antom as WithObserver reports it.
type Exchange struct {
	API string // e.g. "inquiryPayment"
	// ResultStatus and ResultCode are Antom's result when one was read
	// (verified, or unsigned F/U); empty when Err says why none was.
	ResultStatus, ResultCode string
	Err                      error // transport error, HTTP status, bad or missing signature; nil when a result was read
	Duration                 time.Duration
}

// WithObserver has fn called after every HTTP exchange with Antom (each
// retry is one), from the calling goroutine: metrics count them.
func WithObserver(fn func(Exchange)) Option { return func(c *Client) { c.observe = fn } }

// NewClient returns a client for baseURL (a region constant or any URL)
// signing with the merchant's private key and verifying responses with
// Antom's public key.
func NewClient(baseURL, clientID string, merchantKey *rsa.PrivateKey, antomKey *rsa.PublicKey, opts ...Option) *Client {
	c := &Client{
		baseURL:    strings.TrimRight(baseURL, "/"),
		clientID:   clientID,
		key:        merchantKey,
		antomKey:   antomKey,
		httpClient: &http.Client{Timeout: 30 * time.Second},
		timeout:    15 * time.Second,
		retries:    2,
		backoff:    200 * time.Millisecond,
		now:        time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// ClientID returns the merchant client ID.
func (c *Client) ClientID() string { return c.clientID }

// AntomPublicKey returns Antom's public key, which verifies the client's
// responses; Antom signs its notifications with the same key, so the
// webhook verifies with it too.
func (c *Client) AntomPublicKey() *rsa.PublicKey { return c.antomKey }

// Sandbox reports whether calls go to Antom's sandbox paths.
func (c *Client) Sandbox() bool { return IsSandboxClientID(c.clientID) }

// Path returns the path a call to the production path p is sent to and
// signed over: p itself, or its sandbox form for a SANDBOX_ client ID.
func (c *Client) Path(p string) string {
	if c.Sandbox() {
		return SandboxPath(p)
	}
	return p
}

// Retry policy per API (section 4): whether a U result is retried with the
// same body. Transport failures are retried for every API, always with the
// identical body, because Antom is idempotent on the request IDs in it
// (section 8).
const (
	retryOnUnknown   = true
	noRetryOnUnknown = false
)

// CreatePaymentSession creates a payment session. A U or a transport failure
// is retried with the same paymentRequestId, as DESIGN.md decides (the
// protocol leaves session idempotency unconfirmed; a session moves no money).
func (c *Client) CreatePaymentSession(ctx context.Context, req *CreatePaymentSessionRequest) (*CreatePaymentSessionResponse, error) {
	var resp CreatePaymentSessionResponse
	err := c.call(ctx, "createPaymentSession", PathCreatePaymentSession, req, &resp, retryOnUnknown)
	return &resp, err
}

// InquiryPayment asks for a payment's status, retrying on U as Antom asks.
// A nil error means the query worked; the payment's own state is in
// PaymentStatus.
func (c *Client) InquiryPayment(ctx context.Context, req *InquiryPaymentRequest) (*InquiryPaymentResponse, error) {
	var resp InquiryPaymentResponse
	err := c.call(ctx, "inquiryPayment", PathInquiryPayment, req, &resp, retryOnUnknown)
	return &resp, err
}

// Capture captures an authorized payment. A U is not retried
// (CAPTURE_IN_PROCESS means wait for the notification or inquire); transport
// failures are retried with the same captureRequestId.
func (c *Client) Capture(ctx context.Context, req *CaptureRequest) (*CaptureResponse, error) {
	var resp CaptureResponse
	err := c.call(ctx, "capture", PathCapture, req, &resp, noRetryOnUnknown)
	return &resp, err
}

// Cancel cancels a payment. Antom asks for a retry with identical
// parameters on U or no answer, so both are retried.
func (c *Client) Cancel(ctx context.Context, req *CancelRequest) (*CancelResponse, error) {
	var resp CancelResponse
	err := c.call(ctx, "cancel", PathCancel, req, &resp, retryOnUnknown)
	return &resp, err
}

// Refund refunds a captured payment. A U is not retried (REFUND_IN_PROCESS
// must not be re-sent; inquire instead); transport failures are retried with
// the same refundRequestId.
func (c *Client) Refund(ctx context.Context, req *RefundRequest) (*RefundResponse, error) {
	var resp RefundResponse
	err := c.call(ctx, "refund", PathRefund, req, &resp, noRetryOnUnknown)
	return &resp, err
}

// InquiryRefund asks for a refund's status, retrying on U as Antom asks.
func (c *Client) InquiryRefund(ctx context.Context, req *InquiryRefundRequest) (*InquiryRefundResponse, error) {
	var resp InquiryRefundResponse
	err := c.call(ctx, "inquiryRefund", PathInquiryRefund, req, &resp, retryOnUnknown)
	return &resp, err
}

// call encodes the request once, then sends it until it gets an answer it
// may not retry. Only the final, verified answer is decoded into out.
func (c *Client) call(ctx context.Context, api, path string, in, out any, retryU bool) error {
	path = c.Path(path)
	body, err := encodeJSON(in)
	if err != nil {
		return fmt.Errorf("antom: %s: encode request: %w", api, err)
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt) * c.backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				var te *TransportError
				if errors.As(lastErr, &te) {
					return &TransportError{API: api, StatusCode: te.StatusCode, Err: errors.Join(ctx.Err(), te.Err)}
				}
				return lastErr
			case <-t.C:
			}
		}
		raw, result, err := c.do(ctx, api, path, body)
		if err == nil && result.ResultStatus != StatusSuccess {
			err = &ResultError{API: api, Result: result}
		}
		lastErr = err
		if attempt < c.retries && c.retryable(ctx, err, retryU) {
			continue
		}
		if attempt < c.retries && ctx.Err() != nil && c.retryable(context.WithoutCancel(ctx), err, retryU) {
			// A retry was due, but the caller's context ended meanwhile:
			// say so, as when it ends during the pause before a retry.
			var te *TransportError
			if errors.As(err, &te) {
				return &TransportError{API: api, StatusCode: te.StatusCode, Err: errors.Join(ctx.Err(), te.Err)}
			}
			return err
		}
		if raw != nil {
			// A ResultError says more than a field that does not fit its
			// type; for S, such a field makes the answer unreadable.
			if jerr := json.Unmarshal(raw, out); jerr != nil && err == nil {
				return fmt.Errorf("antom: %s: decode response: %w", api, jerr)
			}
		}
		return err
	}
}

func (c *Client) retryable(ctx context.Context, err error, retryU bool) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.retryable()
	}
	var re *ResultError
	return errors.As(err, &re) && re.Unknown() && retryU
}

// do is exchange, reported to the observer.
func (c *Client) do(ctx context.Context, api, path string, body []byte) ([]byte, Result, error) {
	if c.observe == nil {
		return c.exchange(ctx, api, path, body)
	}
	start := time.Now()
	raw, result, err := c.exchange(ctx, api, path, body)
	c.observe(Exchange{API: api, ResultStatus: result.ResultStatus, ResultCode: result.ResultCode, Err: err, Duration: time.Since(start)})
	return raw, result, err
}

// exchange sends one signed request and returns the raw answer and its
// result once the answer is known to be Antom's: signed and verified, or
// unsigned with status F or U.
func (c *Client) exchange(ctx context.Context, api, path string, body []byte) ([]byte, Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	reqTime := strconv.FormatInt(c.now().UnixMilli(), 10)
	sig, err := SignMessage(c.key, path, c.clientID, reqTime, body)
	if err != nil {
		return nil, Result{}, fmt.Errorf("antom: %s: %w", api, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, Result{}, fmt.Errorf("antom: %s: %w", api, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set(HeaderClientID, c.clientID)
	req.Header.Set(HeaderRequestTime, reqTime)
	req.Header.Set(HeaderSignature, sig)
	res, err := c.httpClient.Do(req)
	if err != nil {
		return nil, Result{}, &TransportError{API: api, Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return nil, Result{}, &TransportError{API: api, StatusCode: res.StatusCode, Err: err}
	}
	if res.StatusCode != http.StatusOK {
		return nil, Result{}, &TransportError{API: api, StatusCode: res.StatusCode, Err: fmt.Errorf("HTTP %d", res.StatusCode)}
	}
	if len(raw) > maxResponseBytes {
		return nil, Result{}, &TransportError{API: api, StatusCode: res.StatusCode, Err: fmt.Errorf("response is larger than %d bytes", maxResponseBytes)}
	}
	var envelope struct {
		Result Result `json:"result"`
	}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		return nil, Result{}, &TransportError{API: api, StatusCode: res.StatusCode, Err: fmt.Errorf("response is not Antom's JSON: %w", err)}
	}
	result := envelope.Result
	if result.ResultStatus == "" {
		return nil, Result{}, &TransportError{API: api, StatusCode: res.StatusCode, Err: errors.New("response has no result")}
	}
	sigHeader := res.Header.Get(HeaderSignature)
	if sigHeader == "" {
		if result.ResultStatus == StatusSuccess {
			return nil, Result{}, fmt.Errorf("antom: %s: %w", api, ErrUnsignedResponse)
		}
		return raw, result, nil
	}
	// Antom signs with the client-id it returns; it equals ours in practice
	// (section 3.2), so ours is the fallback when the header is absent.
	clientID := res.Header.Get(HeaderClientID)
	if clientID == "" {
		clientID = c.clientID
	}
	if err := VerifyMessage(c.antomKey, path, clientID, res.Header.Get(HeaderResponseTime), sigHeader, raw); err != nil {
		return nil, Result{}, fmt.Errorf("antom: %s: response: %w", api, err)
	}
	return raw, result, nil
}

// maxResponseBytes bounds what is read from Antom; real answers are a few KB.
const maxResponseBytes = 4 << 20

// encodeJSON is json.Marshal without HTML escaping, so URLs in the body keep
// their '&' and the bytes signed are the bytes a person reads in a log.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
