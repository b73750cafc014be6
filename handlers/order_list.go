package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// orderStates are the orders list's state filter values.
var orderStates = []store.OrderState{store.OrderPaid, store.OrderInProgress, store.OrderUnpaid}

// parseOrderFilter reads the orders list's filter (q, state), which its CSV
// export shares.
func parseOrderFilter(c echo.Context) (store.OrderFilter, error) {
	f := store.OrderFilter{Query: strings.TrimSpace(c.QueryParam("q"))}
	if state := c.QueryParam("state"); state != "" {
		if !slices.Contains(orderStates, store.OrderState(state)) {
			return f, errInvalid("state", "Unknown order state.")
		}
		f.State = store.OrderState(state)
	}
	return f, nil
}

// OrderList handles the "GET /orders" route: one row per referenceOrderId
// with every payment attempt (a failed or expired session is followed by a
// new paymentRequestId for the same order), the order's overall state and a
// link to each attempt. Newest first, keyset-paginated.
func (h *Handlers) OrderList(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	state := c.QueryParam("state")
	cursor := c.QueryParam("cursor")
	f, err := parseOrderFilter(c)
	if err != nil {
		return err
	}
	f.Cursor, f.Limit = cursor, 50
	page, err := h.Store.ListOrders(c.Request().Context(), f)
	if err != nil {
		return err
	}
	vm := pages.OrderListPage{
		ActionURL: paths.Orders,
		Query:     q,
		State:     []pages.Option{{Value: "", Label: "Any state"}},
		Empty:     ordersEmpty(q, state, cursor),
		ExportURL: paths.Export(paths.Orders, url.Values{"q": {q}, "state": {state}}),
	}
	now := h.viewerNow(c)
	for _, s := range orderStates {
		vm.State = append(vm.State, pages.Option{Value: string(s), Label: orderBadge(s).Label, Selected: state == string(s)})
	}
	for _, o := range page.Items {
		row := pages.OrderRow{
			ReferenceOrderID: o.ReferenceOrderID,
			State:            orderStatus(&o, now),
			FirstCreated:     stampOf(o.FirstCreatedAt, now),
			LastCreated:      stampOf(o.LastCreatedAt, now),
			PaymentsURL:      paths.PaymentsSearch(o.ReferenceOrderID),
		}
		for _, p := range o.Attempts {
			row.Attempts = append(row.Attempts, pages.OrderAttempt{
				PaymentRequestID: p.PaymentRequestID,
				URL:              paths.Payment(p.PaymentRequestID),
				Status:           shownStatus(&p, now),
				Amount:           money(p.AmountMinor, p.Currency),
				Created:          stampOf(p.CreatedAt, now),
			})
		}
		vm.Rows = append(vm.Rows, row)
	}
	base := url.Values{"q": {q}, "state": {state}}
	if cursor != "" {
		vm.Pager.FirstURL = withQuery(paths.Orders, base)
	}
	if page.NextCursor != "" {
		base.Set("cursor", page.NextCursor)
		vm.Pager.NextURL = withQuery(paths.Orders, base)
	}
	return render(c, http.StatusOK, pages.OrderList(h.page(c, "Orders", layout.NavOrders), vm))
}

// ordersEmpty is the orders list's empty state: none yet, a search or a
// state filter without a hit, or no older orders.
func ordersEmpty(q, state, cursor string) pages.EmptyView {
	switch {
	case q != "":
		return pages.EmptyView{Title: "No order matches “" + q + "”.",
			Hint:    "The search takes a referenceOrderId, exactly or by its beginning. To find a payment by another ID, search the Payments page.",
			LinkURL: paths.PaymentsSearch(q), LinkText: "Search payments for it"}
	case state != "":
		return pages.EmptyView{Title: "No order is in this state.", LinkURL: paths.Orders, LinkText: "Show every order"}
	case cursor != "":
		return pages.EmptyView{Title: "No older orders.", LinkURL: paths.Orders, LinkText: "Back to the newest"}
	}
	return pages.EmptyView{Title: "No orders yet.",
		Hint: "An order appears with its first payment session; each new session for the same referenceOrderId is listed as another attempt."}
}

// orderStatus is an order's badge: the status in words of the attempt that
// decides its state — the successful one of a paid order, the one still
// open of an order in progress, the latest of an unpaid one — so the order
// and its attempts say the same thing ("Refunded", not "PAID"). The order
// state itself is the hover text.
func orderStatus(o *store.Order, now time.Time) pages.Badge {
	deciding := func(p *store.Payment) bool {
		switch o.State {
		case store.OrderPaid:
			return p.Status == store.StatusSuccess
		case store.OrderInProgress:
			return !p.Status.IsFinal()
		}
		return true
	}
	for i := range o.Attempts { // newest first
		if p := &o.Attempts[i]; deciding(p) {
			b := shownStatus(p, now)
			b.Title = "Order " + orderBadge(o.State).Label + "; attempt " + p.PaymentRequestID + " " + string(p.Status)
			return b
		}
	}
	return orderBadge(o.State)
}
