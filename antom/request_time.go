package antom

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// requestTimeLayouts are the ISO 8601 forms the SDKs send (section 3.4):
// RFC 3339 with or without fractions ("2024-05-11T02:13:00+00:00",
// ".NET's 2024-05-11T02:13:00.1234567Z") and PHP's zone without a colon
// ("2024-05-11T10:13:00+0800").
var requestTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
}

// ParseRequestTime reads a request-time header (section 2.2), whose format
// on notifications is unconfirmed: epoch milliseconds (today's SDKs), epoch
// seconds, microseconds or nanoseconds (told apart by magnitude; the Go SDK
// sent nanoseconds before v1.2.19), or ISO 8601 with a zone. A time without
// a zone, or anything else, is an error: the instant it names is unknown.
func ParseRequestTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("antom: request-time is empty")
	}
	if isDigits(s) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("antom: request-time %.40q: epoch value out of range", s)
		}
		switch {
		case v < 1e11: // seconds until the year 5138
			return time.Unix(v, 0).UTC(), nil
		case v < 1e14: // milliseconds
			return time.UnixMilli(v).UTC(), nil
		case v < 1e17: // microseconds
			return time.UnixMicro(v).UTC(), nil
		default: // nanoseconds
			return time.Unix(0, v).UTC(), nil
		}
	}
	for _, layout := range requestTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("antom: request-time %.40q is neither epoch milliseconds nor ISO 8601 with a time zone", s)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
