package pages

import (
	"context"
	"io"
	"strconv"

	"github.com/a-h/templ"
)

// The small components every list row renders several times, written in
// Go rather than templ: templ spends a closure, a context value, a boxed
// value per attribute and a copy per text on each one, and a class
// attribute with an expression builds two maps (its class processor).
// On a page of fifty payments these were a third of its allocations.
// The HTML is what the templ versions wrote, byte for byte
// (leaves_test.go); every value is escaped as templ escapes it.

// badge renders a status label; testID may be empty.
func badge(b Badge, testID string) templ.Component { return badgeComponent{b, testID} }

type badgeComponent struct {
	b      Badge
	testID string
}

func (c badgeComponent) Render(_ context.Context, w io.Writer) error {
	b := c.b
	if b.Label == "" {
		return nil
	}
	if err := writeStrings(w, `<span class="badge badge-`, templ.EscapeString(string(b.Tone)), `"`); err != nil {
		return err
	}
	if c.testID != "" {
		if err := writeStrings(w, ` data-testid="`, templ.EscapeString(c.testID), `"`); err != nil {
			return err
		}
	}
	if b.Title != "" {
		if err := writeStrings(w, ` title="`, templ.EscapeString(b.Title), `"`); err != nil {
			return err
		}
	}
	return writeStrings(w, `>`, templ.EscapeString(b.Label), `</span>`)
}

// copyButton copies v to the clipboard (static/app.js, by data-copy) and
// says "Copied"; where the clipboard is not available it selects the text
// beside it instead, for Ctrl+C. what names v for the button's title and
// for screen readers ("Copy paymentRequestId").
func copyButton(v, what string) templ.Component { return copyButtonComponent{v, what} }

type copyButtonComponent struct{ v, what string }

func (c copyButtonComponent) Render(_ context.Context, w io.Writer) error {
	what := templ.EscapeString(c.what)
	return writeStrings(w, `<button type="button" class="copy-btn" data-copy="`, templ.EscapeString(c.v),
		`" data-testid="copy-button" title="Copy `, what,
		`"><span class="copy-label" aria-hidden="true">Copy</span> <span class="visually-hidden">Copy `, what,
		`</span></button>`)
}

// stamp renders an instant: absolute UTC, then the relative hint ("3 min
// ago"), which app.js keeps current while the page stays open.
func stamp(s Stamp) templ.Component { return stampComponent{s} }

type stampComponent struct{ s Stamp }

func (c stampComponent) Render(_ context.Context, w io.Writer) error {
	s := c.s
	if s.Text == "" {
		return writeStrings(w, `<span class="muted">—</span>`)
	}
	iso := templ.EscapeString(s.ISO)
	if err := writeStrings(w, `<time class="stamp" datetime="`, iso, `">`, templ.EscapeString(s.Text), `</time> `); err != nil {
		return err
	}
	if s.Ago == "" {
		return nil
	}
	return writeStrings(w, `<span class="ago" data-at="`, iso, `" data-now="`, strconv.FormatInt(s.NowMS, 10), `">`,
		templ.EscapeString(s.Ago), `</span>`)
}

// copyID shows an ID in monospace, whole on hover (title), never broken
// inside a token (idText), with a copy button beside it. what names the ID
// for screen readers ("Copy paymentRequestId"); testID, when set, marks the
// ID's text, not the button.
func copyID(v, what, testID string) templ.Component {
	return copyIDComponent{v: v, what: what, testID: testID}
}

// copyLinkID is copyID for an ID that links to its page.
func copyLinkID(v, what, testID, href string) templ.Component {
	return copyIDComponent{v: v, what: what, testID: testID, href: href, link: true}
}

type copyIDComponent struct {
	v, what, testID, href string
	link                  bool
}

func (c copyIDComponent) Render(ctx context.Context, w io.Writer) error {
	if c.v == "" {
		return nil
	}
	v := templ.EscapeString(c.v)
	var err error
	if c.link {
		// As templ writes a string href: sanitized (templ.URL), then escaped.
		err = writeStrings(w, `<span class="copy-id"><a class="id" href="`, templ.EscapeString(templ.URL(c.href)), `" title="`, v, `"`)
	} else {
		err = writeStrings(w, `<span class="copy-id"><span class="id" title="`, v, `"`)
	}
	if err != nil {
		return err
	}
	if c.testID != "" {
		if err := writeStrings(w, ` data-testid="`, templ.EscapeString(c.testID), `"`); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, ">"); err != nil {
		return err
	}
	if err := (partsText{s: c.v, id: true}).Render(ctx, w); err != nil {
		return err
	}
	end := "</span>"
	if c.link {
		end = "</a>"
	}
	if _, err := io.WriteString(w, end); err != nil {
		return err
	}
	if err := (copyButtonComponent{c.v, c.what}).Render(ctx, w); err != nil {
		return err
	}
	_, err = io.WriteString(w, "</span>")
	return err
}
