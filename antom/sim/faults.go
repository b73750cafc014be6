package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Request-time formats for notifications. Antom's documented header samples
// are ISO 8601 (2019-07-12T12:08:56.253+05:30); epoch milliseconds, what
// the SDKs send on requests, stays a choice.
const (
	TimeFormatMillis  = "millis"  // epoch milliseconds, e.g. 1685599933871
	TimeFormatISO8601 = "iso8601" // e.g. 2024-05-11T10:13:06.253-08:00 (the default, as Antom's samples)
)

// Faults are the misbehaviours the simulator can be told to show. The zero
// value is a well-behaved Antom. Notification faults that shape the set of
// notifications (Duplicate, Reorder, NotifyDelay, WrongAmount) are read when
// a notification is created; the others when each attempt is sent, so
// clearing them lets later retries succeed.
type Faults struct {
	// Duplicate delivers each notification this many times in all, each copy
	// with its own retry schedule (0 or 1: once).
	Duplicate int
	// Reorder sends an automatic capture's CAPTURE_RESULT before the
	// PAYMENT_RESULT it belongs to.
	Reorder bool
	// NotifyDelay postpones the first attempt of each notification by this
	// much simulated time.
	NotifyDelay time.Duration
	// FailFirst sends the first K attempts of each notification but treats
	// them as unacknowledged whatever the merchant answers (a lost ack).
	FailFirst int
	// DropFirst does not send the first K attempts of each notification at
	// all (a lost request); they are logged as dropped and retried.
	DropFirst int
	// CorruptSignature sends notifications with a signature that does not
	// verify.
	CorruptSignature bool
	// WrongAmount adds one minor unit to the amount in each notification
	// (signed correctly).
	WrongAmount bool
	// RequestTimeSkew shifts the request-time header of notifications.
	RequestTimeSkew time.Duration
	// RequestTimeFormat is TimeFormatISO8601 (default when empty) or
	// TimeFormatMillis.
	RequestTimeFormat string

	// APIUnknown answers the next N API calls with {U, UNKNOWN_EXCEPTION}
	// without processing them; a negative value affects every call.
	APIUnknown int
	// APIUnknownProcessed makes APIUnknown process the call (and remember it
	// for idempotent replays) before answering U: the merchant does not learn
	// the outcome of something that happened.
	APIUnknownProcessed bool
	// APIDelay delays every API answer by this much real time.
	APIDelay time.Duration
	// APIHTTP5xx answers the next N API calls with HTTP 503 and a non-JSON
	// body, without processing them; a negative value affects every call.
	APIHTTP5xx int
	// APIs limits the API faults to these APIs, by name
	// ("createPaymentSession", "inquiryPayment", "capture", "cancel",
	// "refund", "inquiryRefund"); empty means all.
	APIs []string
}

// faultsJSON is the wire form of Faults: durations as Go duration strings.
type faultsJSON struct {
	Duplicate           int      `json:"duplicate"`
	Reorder             bool     `json:"reorder"`
	NotifyDelay         string   `json:"notifyDelay"`
	FailFirst           int      `json:"failFirst"`
	DropFirst           int      `json:"dropFirst"`
	CorruptSignature    bool     `json:"corruptSignature"`
	WrongAmount         bool     `json:"wrongAmount"`
	RequestTimeSkew     string   `json:"requestTimeSkew"`
	RequestTimeFormat   string   `json:"requestTimeFormat"`
	APIUnknown          int      `json:"apiUnknown"`
	APIUnknownProcessed bool     `json:"apiUnknownProcessed"`
	APIDelay            string   `json:"apiDelay"`
	APIHTTP5xx          int      `json:"apiHttp5xx"`
	APIs                []string `json:"apis"`
}

// MarshalJSON writes durations as strings such as "1m30s".
func (f Faults) MarshalJSON() ([]byte, error) {
	apis := f.APIs
	if apis == nil {
		apis = []string{}
	}
	return json.Marshal(faultsJSON{
		Duplicate: f.Duplicate, Reorder: f.Reorder, NotifyDelay: f.NotifyDelay.String(),
		FailFirst: f.FailFirst, DropFirst: f.DropFirst, CorruptSignature: f.CorruptSignature,
		WrongAmount: f.WrongAmount, RequestTimeSkew: f.RequestTimeSkew.String(),
		RequestTimeFormat: f.timeFormat(), APIUnknown: f.APIUnknown,
		APIUnknownProcessed: f.APIUnknownProcessed, APIDelay: f.APIDelay.String(),
		APIHTTP5xx: f.APIHTTP5xx, APIs: apis,
	})
}

// UnmarshalJSON reads durations as strings ("90s", "-5m") or as integer
// nanoseconds. Missing fields are zero.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var raw struct {
		faultsJSON
		NotifyDelay     json.RawMessage `json:"notifyDelay"`
		RequestTimeSkew json.RawMessage `json:"requestTimeSkew"`
		APIDelay        json.RawMessage `json:"apiDelay"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	var out Faults
	for _, d := range []struct {
		name string
		raw  json.RawMessage
		dst  *time.Duration
	}{
		{"notifyDelay", raw.NotifyDelay, &out.NotifyDelay},
		{"requestTimeSkew", raw.RequestTimeSkew, &out.RequestTimeSkew},
		{"apiDelay", raw.APIDelay, &out.APIDelay},
	} {
		v, err := parseJSONDuration(d.raw)
		if err != nil {
			return fmt.Errorf("faults: %s: %w", d.name, err)
		}
		*d.dst = v
	}
	out.Duplicate = raw.Duplicate
	out.Reorder = raw.Reorder
	out.FailFirst = raw.FailFirst
	out.DropFirst = raw.DropFirst
	out.CorruptSignature = raw.CorruptSignature
	out.WrongAmount = raw.WrongAmount
	out.RequestTimeFormat = raw.RequestTimeFormat
	out.APIUnknown = raw.APIUnknown
	out.APIUnknownProcessed = raw.APIUnknownProcessed
	out.APIHTTP5xx = raw.APIHTTP5xx
	out.APIs = raw.APIs
	*f = out
	return nil
}

func parseJSONDuration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as \"90s\" or \"2m\"", s)
		}
		return d, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, errors.New("want a duration string such as \"90s\" or integer nanoseconds")
	}
	return time.Duration(n), nil
}

// apiNames are the six simulated APIs.
var apiNames = []string{"createPaymentSession", "inquiryPayment", "capture", "cancel", "refund", "inquiryRefund"}

// Validate reports the first fault setting that makes no sense.
func (f Faults) Validate() error {
	switch {
	case f.Duplicate < 0:
		return errors.New("faults: duplicate must not be negative")
	case f.FailFirst < 0:
		return errors.New("faults: failFirst must not be negative")
	case f.DropFirst < 0:
		return errors.New("faults: dropFirst must not be negative")
	case f.NotifyDelay < 0:
		return errors.New("faults: notifyDelay must not be negative")
	case f.APIDelay < 0:
		return errors.New("faults: apiDelay must not be negative")
	case f.Duplicate > 100:
		return errors.New("faults: duplicate must be at most 100")
	}
	switch f.RequestTimeFormat {
	case "", TimeFormatMillis, TimeFormatISO8601:
	default:
		return fmt.Errorf("faults: requestTimeFormat %q is not %q or %q", f.RequestTimeFormat, TimeFormatMillis, TimeFormatISO8601)
	}
	for _, a := range f.APIs {
		if !slices.Contains(apiNames, a) {
			return fmt.Errorf("faults: apis: unknown API %q (want one of %v)", a, apiNames)
		}
	}
	return nil
}

func (f Faults) timeFormat() string {
	if f.RequestTimeFormat == "" {
		return TimeFormatISO8601
	}
	return f.RequestTimeFormat
}

// appliesTo reports whether the API faults cover the named API.
func (f Faults) appliesTo(api string) bool {
	return len(f.APIs) == 0 || slices.Contains(f.APIs, api)
}

// copies is how many copies of each notification are delivered.
func (f Faults) copies() int {
	if f.Duplicate < 1 {
		return 1
	}
	return f.Duplicate
}
