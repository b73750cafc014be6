package components

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{420000, "SGD", "4,200.00 SGD"},
		{5, "USD", "0.05 USD"},
		{1000, "JPY", "1,000 JPY"},
		{1234567, "KRW", "1,234,567 KRW"},
		{0, "EUR", "0.00 EUR"},
	} {
		if got := FormatAmount(tc.minor, tc.currency); got != tc.want {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

func TestRelativeTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "—"},
		{now.Add(-2 * time.Second), "just now"},
		{now.Add(-45 * time.Second), "45 s ago"},
		{now.Add(-3 * time.Minute), "3 min ago"},
		{now.Add(-5 * time.Hour), "5 h ago"},
		{now.Add(-72 * time.Hour), "3 d ago"},
		{now.Add(4 * time.Minute), "in 4 min"},
		{now.Add(-40 * 24 * time.Hour), "2026-01-20"},
	} {
		if got := RelativeTime(tc.t, now); got != tc.want {
			t.Errorf("RelativeTime(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	if got := FormatTime(time.Date(2026, 3, 1, 20, 4, 5, 0, time.FixedZone("SGT", 8*3600)), nil); got != "2026-03-01 12:04:05 UTC" {
		t.Errorf("FormatTime = %q", got)
	}
}

func TestStatusToneAndHumanize(t *testing.T) {
	for status, want := range map[string]string{
		"SUCCESS": "ok", "FAIL": "bad", "PROCESSING": "pending", "CANCELLED": "warn", "WHATEVER": "neutral", "revoked": "bad",
	} {
		if got := StatusTone(status); got != want {
			t.Errorf("StatusTone(%s) = %s, want %s", status, got, want)
		}
	}
	if got := Humanize("SESSION_READY"); got != "Session ready" {
		t.Errorf("Humanize = %q", got)
	}
	if got := Truncate("héllo wörld", 5); got != "héllo…" {
		t.Errorf("Truncate = %q", got)
	}
}

func TestFieldRendersInlineErrorAndEscapes(t *testing.T) {
	var buf bytes.Buffer
	err := Field(FieldView{Label: "Name", Name: "name", Value: `"><script>x</script>`, Error: "Too long."}).Render(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{`aria-invalid`, `aria-describedby="f-name-error"`, `data-testid="error-name"`, "Too long.", "&lt;script&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("field HTML lacks %q: %s", want, html)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Errorf("value not escaped: %s", html)
	}
	buf.Reset()
	if err := Field(FieldView{Label: "Email", Name: "email"}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "aria-describedby") || strings.Contains(buf.String(), "aria-invalid") || strings.Contains(buf.String(), `placeholder=""`) {
		t.Errorf("a field without hint or error carries empty aria attributes: %s", buf.String())
	}
}
