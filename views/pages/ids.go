package pages

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// idText renders an ID so that it never breaks inside a token: each part
// of breakParts (split after _ and |) is one unbreakable span, with a
// line-break opportunity (<wbr>) between parts only. A hyphen inside a part
// ("ORD-20457") does not break either. The text stays exactly s; static/
// app.css ends a part too long for its box with an ellipsis (the element
// carries the whole value as its title, and a copy button beside it).
func idText(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, part := range breakParts(s) {
			sep := `<span class="id-part">`
			if i > 0 {
				sep = `<wbr><span class="id-part">`
			}
			if _, err := io.WriteString(w, sep+templ.EscapeString(part)+`</span>`); err != nil {
				return err
			}
		}
		return nil
	})
}

// copyable reports whether a shown value is whole, so a copy button may
// offer it: an abbreviated one (ending in "…") is not the value.
func copyable(v string) bool {
	return !strings.HasSuffix(v, "…")
}
