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

func (e *ResultError) Error() string {
	return fmt.Sprintf("antom: %s: %s %s: %s", e.API, e.Result.ResultStatus, e.Result.ResultCode, e.Result.ResultMessage)
}

// Unknown reports whether the outcome is unknown (U) and the same request
// may be retried with the same IDs.
func (e *ResultError) Unknown() bool { return e.Result.ResultStatus == StatusUnknown }

// TransportError means the outcome of a call is unknown because no valid
// answer came back: a network error, a timeout, a non-200 status or a body
// that is not JSON. Retrying with the same request IDs is safe.
type TransportError struct {
	API string
	Err error
}

func (e *TransportError) Error() string { return fmt.Sprintf("antom: %s: %v", e.API, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// ErrUnsignedResponse is returned when a response claims success (S) without
// a signature; unsigned F and U answers are accepted as the SDKs do.
var ErrUnsignedResponse = errors.New("antom: response with result S carries no signature")

// Client calls Antom's payment APIs. It is safe for concurrent use.
type Client struct {
	baseURL    string
	clientID   string
	key        *rsa.PrivateKey
	antomKey   *rsa.PublicKey
	httpClient *http.Client
	timeout    time.Duration
	retries    int
	now        func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.httpClient = h } }

// WithTimeout sets the per-call timeout (default 15 s).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetries sets how many times a call that is safe to repeat is retried
// after a transport error or a U result (default 2).
func WithRetries(n int) Option { return func(c *Client) { c.retries = n } }

// WithClock sets the clock used for request-time.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// NewClient returns a client for baseURL (a region constant or any URL)
// signing with the merchant's private key and verifying with Antom's public key.
func NewClient(baseURL, clientID string, merchantKey *rsa.PrivateKey, antomKey *rsa.PublicKey, opts ...Option) *Client {
	c := &Client{
		baseURL:    strings.TrimRight(baseURL, "/"),
		clientID:   clientID,
		key:        merchantKey,
		antomKey:   antomKey,
		httpClient: &http.Client{Timeout: 30 * time.Second},
		timeout:    15 * time.Second,
		retries:    2,
		now:        time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// ClientID returns the merchant client ID.
func (c *Client) ClientID() string { return c.clientID }

// Sandbox reports whether calls go to Antom's sandbox paths.
func (c *Client) Sandbox() bool { return IsSandboxClientID(c.clientID) }

// CreatePaymentSession creates a payment session. Antom is idempotent on
// paymentRequestId, so a U or transport failure is retried with the same body.
func (c *Client) CreatePaymentSession(ctx context.Context, req *CreatePaymentSessionRequest) (*CreatePaymentSessionResponse, error) {
	var resp CreatePaymentSessionResponse
	err := c.call(ctx, "createPaymentSession", PathCreatePaymentSession, req, &resp, &resp.Result, true)
	return &resp, err
}

// InquiryPayment asks for a payment's status. A nil error means the query
// worked; the payment's own state is in PaymentStatus.
func (c *Client) InquiryPayment(ctx context.Context, req *InquiryPaymentRequest) (*InquiryPaymentResponse, error) {
	var resp InquiryPaymentResponse
	err := c.call(ctx, "inquiryPayment", PathInquiryPayment, req, &resp, &resp.Result, true)
	return &resp, err
}

// Capture captures an authorized payment. It is not retried on U
// (CAPTURE_IN_PROCESS means wait for the notification or inquire); transport
// errors are retried with the same captureRequestId, on which Antom is idempotent.
func (c *Client) Capture(ctx context.Context, req *CaptureRequest) (*CaptureResponse, error) {
	var resp CaptureResponse
	err := c.call(ctx, "capture", PathCapture, req, &resp, &resp.Result, false)
	return &resp, err
}

// Cancel cancels a payment. Antom asks for a retry with identical
// parameters on U or no answer, so both are retried.
func (c *Client) Cancel(ctx context.Context, req *CancelRequest) (*CancelResponse, error) {
	var resp CancelResponse
	err := c.call(ctx, "cancel", PathCancel, req, &resp, &resp.Result, true)
	return &resp, err
}

// Refund refunds a captured payment. A transport error is retried with the
// same refundRequestId; REFUND_IN_PROCESS (U) is not re-sent.
func (c *Client) Refund(ctx context.Context, req *RefundRequest) (*RefundResponse, error) {
	var resp RefundResponse
	err := c.call(ctx, "refund", PathRefund, req, &resp, &resp.Result, false)
	return &resp, err
}

// InquiryRefund asks for a refund's status.
func (c *Client) InquiryRefund(ctx context.Context, req *InquiryRefundRequest) (*InquiryRefundResponse, error) {
	var resp InquiryRefundResponse
	err := c.call(ctx, "inquiryRefund", PathInquiryRefund, req, &resp, &resp.Result, true)
	return &resp, err
}

// call signs and sends one request, verifies the answer and decodes it into
// out. retryU says whether a U result may be retried with the same body.
func (c *Client) call(ctx context.Context, api, path string, in, out any, result *Result, retryU bool) error {
	if c.Sandbox() {
		path = SandboxPath(path)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("antom: %s: encode request: %w", api, err)
	}
	var lastErr error
	for attempt := 0; attempt <= c.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return lastErr
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		lastErr = c.do(ctx, api, path, body, out, result)
		var te *TransportError
		var re *ResultError
		switch {
		case lastErr == nil:
			return nil
		case errors.As(lastErr, &te):
			if ctx.Err() != nil {
				return lastErr
			}
		case errors.As(lastErr, &re) && re.Unknown() && retryU:
		default:
			return lastErr
		}
	}
	return lastErr
}

func (c *Client) do(ctx context.Context, api, path string, body []byte, out any, result *Result) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	reqTime := strconv.FormatInt(c.now().UnixMilli(), 10)
	sig, err := SignMessage(c.key, path, c.clientID, reqTime, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("antom: %s: %w", api, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set(HeaderClientID, c.clientID)
	req.Header.Set(HeaderRequestTime, reqTime)
	req.Header.Set(HeaderSignature, sig)
	res, err := c.httpClient.Do(req)
	if err != nil {
		return &TransportError{API: api, Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return &TransportError{API: api, Err: err}
	}
	if res.StatusCode != http.StatusOK {
		return &TransportError{API: api, Err: fmt.Errorf("HTTP %d", res.StatusCode)}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &TransportError{API: api, Err: fmt.Errorf("response is not JSON: %w", err)}
	}
	if result.ResultStatus == "" {
		return &TransportError{API: api, Err: errors.New("response has no result")}
	}
	sigHeader := res.Header.Get(HeaderSignature)
	if sigHeader == "" {
		if result.ResultStatus == StatusSuccess {
			return ErrUnsignedResponse
		}
	} else {
		clientID := res.Header.Get(HeaderClientID)
		if clientID == "" {
			clientID = c.clientID
		}
		if err := VerifyMessage(c.antomKey, path, clientID, res.Header.Get(HeaderResponseTime), sigHeader, raw); err != nil {
			return fmt.Errorf("antom: %s: response signature: %w", api, err)
		}
	}
	if result.ResultStatus != StatusSuccess {
		return &ResultError{API: api, Result: *result}
	}
	return nil
}
