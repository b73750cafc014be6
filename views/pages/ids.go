package pages

import (
	"strings"

	"github.com/a-h/templ"
)

// idText renders an ID so that it never breaks inside a token: each part
// of idParts is one unbreakable span, with a line-break opportunity (<wbr>)
// between parts only. A hyphen inside a part ("ORD-20457") does not break
// either. The text stays exactly s; static/
// app.css ends a part too long for its box with an ellipsis (the element
// carries the whole value as its title, and a copy button beside it).
func idText(s string) templ.Component { return partsText{s: s, id: true} }

// copyable reports whether a monospace value is an ID or a URL a copy
// button should offer: whole (an abbreviated one, ending in "…", is not the
// value) and one token (a code with words, like "F ISSUER_…", is read, not
// pasted).
func copyable(v string) bool {
	return !strings.HasSuffix(v, "…") && !strings.ContainsAny(v, " \t\n")
}

// idDigitRun is the shortest run of digits idParts splits: Antom's 30- and
// 35-digit IDs (paymentId, captureId, acquirer references).
const idDigitRun = 24

// idStampDigits is where idParts splits such a run: after its leading
// yyyyMMddHHmmss, the one boundary inside Antom's numeric IDs that a reader
// can recognise.
const idStampDigits = 14

// idParts is breakParts (split after _ and |) with one more chosen point: a
// run of at least idDigitRun digits is split after its first idStampDigits
// (again, for what is left, while it is that long).
// "20220919194010890100111740275820195" → "20220919194010",
// "890100111740275820195".
func idParts(s string) []string {
	var out []string
	for s != "" {
		var part string
		part, s = nextIDPart(s)
		out = append(out, part)
	}
	return out
}

// nextIDPart is the first of idParts(s) and what follows it. A part of
// breakParts ends at its only _ or |, so what is left of one cut inside
// its digits is again the first part of the rest.
func nextIDPart(s string) (part, rest string) {
	part, rest = nextBreakPart(s)
	start, end := firstDigitRun(part)
	if end-start < idDigitRun {
		return part, rest
	}
	cut := start + idStampDigits
	return s[:cut], s[cut:]
}

// firstDigitRun returns the bounds of the first run of ASCII digits in s,
// or (len(s), len(s)) when there is none.
func firstDigitRun(s string) (start, end int) {
	start = len(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			start = i
			break
		}
	}
	end = start
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return start, end
}

// isURL reports whether a shown value is a URL, which wraps anywhere rather
// than at an ID's chosen points.
func isURL(v string) bool {
	return strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://")
}
