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
func breakable(s string) templ.Component { return partsComponent(breakParts(s), "", "") }

// partsComponent writes parts with a line-break opportunity (<wbr>) between
// them, each wrapped in open…close when given (idText's unbreakable spans).
func partsComponent(parts []string, open, close string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, part := range parts {
			sep := open
			if i > 0 {
				sep = "<wbr>" + open
			}
			if _, err := io.WriteString(w, sep+templ.EscapeString(part)+close); err != nil {
				return err
			}
		}
		return nil
	})
}

// breakParts splits a code or an ID after each _ and |, keeping the
// separators: "F ISSUER_REJECTS_TRANSACTION" → "F ISSUER_", "REJECTS_",
// "TRANSACTION". breakable puts a line-break opportunity between the parts.
func breakParts(s string) []string {
	var parts []string
	for s != "" {
		i := strings.IndexAny(s, "_|")
		if i < 0 || i == len(s)-1 {
			parts = append(parts, s)
			break
		}
		parts = append(parts, s[:i+1])
		s = s[i+1:]
	}
	return parts
}
