package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// Search that finds (issue 11): the payments list's bare search, the
// narrowing of a card's last four by a day or an amount, and the capture
// or refund a search hit marked on the payment page.

// narrowSearch reads the day (in the viewer's zone loc) and amount that
// narrow a card-last-four search into f; errs gets their inline errors.
func narrowSearch(q paymentListQuery, f *store.PaymentFilter, errs map[string]string, loc *time.Location) {
	if q.On != "" {
		day, ok := parseDay(q.On, loc)
		if !ok {
			errs["on"] = badDay
		} else {
			f.From, f.To = day, day.AddDate(0, 0, 1)
		}
	}
	if q.Amount != "" {
		var fe *store.FieldError
		if err := store.CheckSearchAmount(q.Amount); errors.As(err, &fe) {
			errs["amount"] = fe.Message
		} else if err != nil {
			errs["amount"] = "Use an amount like 230.00."
		}
		f.Amount = q.Amount
	}
}

// search runs a bare search. One payment hit exactly opens it (exact is its
// URL), with the capture or refund that matched highlighted.
func (h *Handlers) search(ctx context.Context, q paymentListQuery, f store.PaymentFilter, loc *time.Location) (listed, pages.SearchNote, string, error) {
	var note pages.SearchNote
	res, err := h.Store.Search(ctx, store.SearchQuery{Text: q.Q, From: f.From, To: f.To, Amount: f.Amount})
	if err != nil {
		return listed{}, note, "", err
	}
	if hit, ok := res.Exact(); ok {
		return listed{}, note, searchHitURL(hit), nil
	}
	list := listed{page: &store.Page[store.Payment]{}, hits: res.Hits}
	if res.More {
		note.Capped = fmt.Sprintf("Showing the first %d matches. Type more of the ID to narrow them.", len(res.Hits))
	}
	if res.CardLast4 && (res.NeedsNarrowing || q.On != "" || q.Amount != "") {
		note.Narrow = narrowForm(q, nil, loc)
		if res.NeedsNarrowing {
			note.Narrow.Message = fmt.Sprintf("More than %d payments were paid with a card ending in %s.", store.CardNarrowAt, store.NormalizeID(q.Q))
		} else {
			note.Narrow.Message = fmt.Sprintf("Payments paid with a card ending in %s, narrowed.", store.NormalizeID(q.Q))
		}
	}
	return list, note, "", nil
}

// narrowForm is the card-last-four narrowing form as filled in; nil unless
// the query asked to narrow.
func narrowForm(q paymentListQuery, errs map[string]string, loc *time.Location) *pages.NarrowForm {
	if errs != nil && q.On == "" && q.Amount == "" {
		return nil
	}
	return &pages.NarrowForm{ActionURL: paths.Payments, Query: q.Q, On: q.On, Amount: q.Amount, Errors: errs, Zone: loc.String()}
}

// searchHitURL is the payment page of a search hit; a hit by a capture's or
// refund's ID highlights that row (?highlight=) and scrolls to it (its
// row's id, "capture-<rowid>" or "refund-<rowid>", in payment_show.templ).
func searchHitURL(hit store.SearchHit) string {
	u := paths.Payment(hit.PaymentRequestID)
	if hit.Highlight == "" || hit.HighlightKind == "" {
		return u
	}
	return u + "?highlight=" + url.QueryEscape(hit.Highlight) + "#" + hit.HighlightKind + "-" + strconv.FormatInt(hit.HighlightID, 10)
}

// markSearchHit marks the capture or refund rows that carry the ID in
// ?highlight= (either of their IDs, compared the way search compares them),
// and keeps it in the live region's poll URL so a refresh keeps the mark.
func markSearchHit(live *pages.PaymentLive, highlight string) {
	if len(highlight) > store.MaxSearchText {
		return // no ID is that long: nothing to mark, nothing to carry on
	}
	id := store.NormalizeID(highlight)
	if id == "" {
		return
	}
	if live.PollURL != "" {
		live.PollURL += "&highlight=" + url.QueryEscape(highlight)
	}
	same := func(a, b string) bool { return a != "" && store.NormalizeID(a) == b }
	for i := range live.Captures {
		c := &live.Captures[i]
		c.Highlighted = same(c.CaptureRequestID, id) || same(c.CaptureID, id)
	}
	for i := range live.Refunds {
		r := &live.Refunds[i]
		r.Highlighted = same(r.RefundRequestID, id) || same(r.RefundID, id)
	}
}
