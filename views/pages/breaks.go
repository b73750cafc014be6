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
func breakable(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, part := range breakParts(s) {
			if i > 0 {
				if _, err := io.WriteString(w, "<wbr>"); err != nil {
					return err
				}
			}
			if _, err := io.WriteString(w, templ.EscapeString(part)); err != nil {
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
