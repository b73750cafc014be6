package pages

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// breakable renders a code or an ID with a line-break opportunity (<wbr>)
// after each _ and |, so a narrow cell wraps it between its words, never
// mid-word. It writes the parts with nothing in between, so the text stays
// exactly s ("ISSUER_REJECTS_TRANSACTION", not "ISSUER_ REJECTS_ …").
func breakable(s string) templ.Component { return partsText{s: s} }

// partsText writes s cut into parts (nextBreakPart, or nextIDPart for an
// ID) with a line-break opportunity (<wbr>) between them, each wrapped in
// an unbreakable span for an ID (idText). It cuts as it writes: a list
// page renders four IDs a row, and slices of parts and a closure each
// were a tenth of its allocations.
type partsText struct {
	s  string
	id bool
}

// idPartOpen and idPartClose wrap each part of an ID (idText).
const (
	idPartOpen  = `<span class="id-part">`
	idPartClose = `</span>`
)

func (t partsText) Render(_ context.Context, w io.Writer) error {
	next, open, close := nextBreakPart, "", ""
	if t.id {
		next, open, close = nextIDPart, idPartOpen, idPartClose
	}
	for s, first := t.s, true; s != ""; first = false {
		var part string
		part, s = next(s)
		if !first {
			if _, err := io.WriteString(w, "<wbr>"); err != nil {
				return err
			}
		}
		if err := writeStrings(w, open, templ.EscapeString(part), close); err != nil {
			return err
		}
	}
	return nil
}

// writeStrings writes each of ss to w, skipping empty ones.
func writeStrings(w io.Writer, ss ...string) error {
	for _, s := range ss {
		if s == "" {
			continue
		}
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
	}
	return nil
}

// breakParts splits a code or an ID after each _ and |, keeping the
// separators: "F ISSUER_REJECTS_TRANSACTION" → "F ISSUER_", "REJECTS_",
// "TRANSACTION". breakable puts a line-break opportunity between the parts.
func breakParts(s string) []string {
	var parts []string
	for s != "" {
		var part string
		part, s = nextBreakPart(s)
		parts = append(parts, part)
	}
	return parts
}

// nextBreakPart is the first of breakParts(s) and what follows it: s is
// cut after its first _ or |, unless that is its last character.
func nextBreakPart(s string) (part, rest string) {
	i := strings.IndexAny(s, "_|")
	if i < 0 || i == len(s)-1 {
		return s, ""
	}
	return s[:i+1], s[i+1:]
}
