package handlers

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/components"
	"paydesk/views/pages"
)

// The formatting helpers below turn ledger values into what the payment
// pages show. They are pure and tested in payment_format_test.go.

// money renders minor units in the currency's decimals with its code:
// 420000 SGD → "4,200.00 SGD".
func money(minor int64, currency string) string {
	return antom.FormatMinor(minor, currency) + " " + currency
}

// plainMajor renders minor units as a person would type them, without
// thousands separators: 4200 SGD → "42.00" (what ParseMajor reads back).
func plainMajor(minor int64, currency string) string {
	return strings.ReplaceAll(antom.FormatMinor(minor, currency), ",", "")
}

// when renders an instant in the viewer's zone loc (components.FormatTime,
// the one format staff see), or "" for the zero time.
func when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return components.FormatTime(t, loc)
}

// whenISO is the machine form for <time datetime>.
func whenISO(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// relTime is the short relative hint shown next to an absolute time, on
// the handlers' clock: "3 min ago", "in 6 d", "just now". It is "" for the
// zero time and beyond 30 days, where the absolute date says it all.
func relTime(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	if d := now.Sub(t); d >= 30*24*time.Hour || d <= -30*24*time.Hour {
		return ""
	}
	return components.RelativeTime(t, now)
}

// stampOf is an instant as the pages show it at now, the viewer's clock
// (viewerNow): absolute in now's zone and the relative hint. The zero time
// is the zero Stamp (shown as "—").
func stampOf(t, now time.Time) pages.Stamp {
	if t.IsZero() {
		return pages.Stamp{}
	}
	return pages.Stamp{Text: when(t, now.Location()), ISO: whenISO(t), Ago: relTime(t, now), NowMS: now.UnixMilli()}
}

// shownStatus is the status badge of a payment at now: its status in words
// (store.DisplayStatusOf — refunds, captures and an unswept session expiry
// included), with the ledger's raw status as hover text for those who need
// it. A SESSION_READY payment whose session expiry has passed reads Expired
// before the sweeper records it, so a stale state never passes for a
// payable session.
func shownStatus(p *store.Payment, now time.Time) pages.Badge {
	d := store.DisplayStatusOf(p, now)
	b := pages.Badge{Label: string(d.Word), Tone: displayTone(d.Tone), Title: "Ledger status " + string(p.Status)}
	if p.Status == store.StatusSessionReady && p.SessionExpired(now) {
		b.Title = "The session expired at " + when(p.SessionExpiresAt, now.Location()) + "; the ledger still says SESSION_READY until the next sweep."
	}
	return b
}

// displayTone is the badge tone of a display status's tone.
func displayTone(t store.Tone) pages.Tone {
	switch t {
	case store.ToneOK:
		return pages.ToneOK
	case store.ToneBad:
		return pages.ToneBad
	case store.ToneWarn:
		return pages.ToneWarn
	case store.ToneInfo:
		return pages.ToneInfo
	}
	return pages.ToneNeutral
}

// statusDetail picks what of Antom's result code and message the status line
// shows beside the status badge: only what adds to it. A failure always
// keeps its code; a SUCCESS code or one equal to the status, and a message
// that only restates the code or says "success", are left out.
func statusDetail(status store.PaymentStatus, code, message string) (showCode, showMessage string) {
	failed := status == store.StatusFail || status == store.StatusSessionFailed
	if failed || (code != "" && code != antom.CodeSuccess && !strings.EqualFold(code, string(status))) {
		showCode = code
	}
	m := strings.TrimRight(strings.TrimSpace(message), ".!")
	trivial := m == "" || strings.EqualFold(m, "success") || strings.EqualFold(m, code) ||
		strings.EqualFold(strings.ReplaceAll(m, " ", "_"), code) || strings.EqualFold(m, string(status))
	if !trivial {
		showMessage = message
	}
	return showCode, showMessage
}

// capturesEmpty says why a payment has no capture, in its state.
func capturesEmpty(p *store.Payment, now time.Time) string {
	switch p.Status {
	case store.StatusFail, store.StatusExpired, store.StatusSessionFailed:
		return "No capture: the payment did not succeed."
	case store.StatusCancelled:
		return "No capture: the payment was cancelled."
	case store.StatusSuccess:
		if p.CaptureMode == antom.CaptureManual {
			s := "Not captured yet: this payment uses manual capture."
			if !p.AuthExpiresAt.IsZero() {
				s += " Capture it before the authorization expires at " + when(p.AuthExpiresAt, now.Location()) + "."
			}
			return s
		}
		return "No capture yet: Antom captures this payment automatically and reports the capture in a notification."
	case store.StatusSessionReady:
		if p.SessionExpired(now) {
			return "No capture: the session expired unpaid."
		}
	}
	return "No capture yet: the payment has no result."
}

// txnBadge is the badge of a capture or refund status.
func txnBadge(s store.TxnStatus) pages.Badge {
	tone := pages.ToneInfo
	switch s {
	case store.TxnSuccess:
		tone = pages.ToneOK
	case store.TxnFail:
		tone = pages.ToneBad
	}
	return pages.Badge{Label: string(s), Tone: tone}
}

// captureStateBadge summarises a payment's captures; "N/A" shows nothing.
func captureStateBadge(s store.CaptureState) pages.Badge {
	switch s {
	case store.CaptureFull:
		return pages.Badge{Label: "CAPTURED", Tone: pages.ToneOK}
	case store.CapturePartial:
		return pages.Badge{Label: "PARTIAL", Tone: pages.ToneWarn}
	case store.CapturePending:
		return pages.Badge{Label: "CAPTURE PENDING", Tone: pages.ToneInfo}
	case store.CaptureNone:
		return pages.Badge{Label: "NOT CAPTURED", Tone: pages.ToneNeutral}
	}
	return pages.Badge{}
}

// orderBadge is the badge of an order's overall state.
func orderBadge(s store.OrderState) pages.Badge {
	switch s {
	case store.OrderPaid:
		return pages.Badge{Label: "Paid", Tone: pages.ToneOK}
	case store.OrderInProgress:
		return pages.Badge{Label: "In progress", Tone: pages.ToneInfo}
	case store.OrderUnpaid:
		return pages.Badge{Label: "Unpaid", Tone: pages.ToneBad}
	}
	return pages.Badge{Label: string(s), Tone: pages.ToneNeutral}
}

// flagBadges lists a payment's flags as badges, most urgent first, with
// the wording of FlagExplanations.
func flagBadges(f store.Flag) []pages.Badge {
	var out []pages.Badge
	for _, v := range FlagExplanations(f) {
		out = append(out, pages.Badge{Label: v.Label, Tone: v.Tone, Title: v.Title})
	}
	return out
}

// verdictBadge is the badge of a signature verdict.
func verdictBadge(v store.Verdict) pages.Badge {
	switch v {
	case store.VerdictOK:
		return pages.Badge{Label: "signature ok", Tone: pages.ToneOK}
	case store.VerdictMissing:
		return pages.Badge{Label: "signature missing", Tone: pages.ToneBad}
	case store.VerdictBad:
		return pages.Badge{Label: "signature bad", Tone: pages.ToneBad}
	case store.VerdictUnverifiable:
		return pages.Badge{Label: "not verified", Tone: pages.ToneWarn}
	}
	return pages.Badge{Label: string(v), Tone: pages.ToneNeutral}
}

// outcomeBadge is the badge of what a delivery did.
func outcomeBadge(o store.Outcome) pages.Badge {
	tone := pages.ToneNeutral
	switch o {
	case store.OutcomeApplied:
		tone = pages.ToneOK
	case store.OutcomeOutOfOrder:
		tone = pages.ToneInfo
	case store.OutcomeDuplicate, store.OutcomeStale:
		tone = pages.ToneNeutral
	case store.OutcomeContradiction, store.OutcomeUnknownPayment:
		tone = pages.ToneWarn
	case store.OutcomeRejected, store.OutcomeNotApplied:
		tone = pages.ToneBad
	}
	return pages.Badge{Label: strings.ReplaceAll(string(o), "_", " "), Tone: tone}
}

// resultText renders Antom's result of a call: "SUCCESS" for S, else
// "F PROCESS_FAIL: General business failure." (status, code, message).
func resultText(status, code, message string) string {
	if status == antom.StatusSuccess {
		return code
	}
	head := strings.TrimSpace(status + " " + code)
	switch {
	case message == "":
		return head
	case head == "":
		return message
	}
	return head + ": " + message
}

// rawText shows bytes exactly when they are UTF-8 text; otherwise invalid
// bytes are shown as \xNN escapes so nothing is silently replaced.
func rawText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			sb.WriteString(`\x`)
			sb.WriteString(strconv.FormatUint(uint64(b[0])|0x100, 16)[1:])
			b = b[1:]
			continue
		}
		sb.Write(b[:size])
		b = b[size:]
	}
	return sb.String()
}

// cardText renders the card as "VISA •••• 0768".
func cardText(brand, last4 string) string {
	switch {
	case brand == "" && last4 == "":
		return ""
	case last4 == "":
		return brand
	case brand == "":
		return "•••• " + last4
	}
	return brand + " •••• " + last4
}

// abbreviate shortens long opaque values for a table cell.
func abbreviate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
