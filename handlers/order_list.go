package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// orderStates are the orders list's state filter values.
var orderStates = []store.OrderState{store.OrderPaid, store.OrderInProgress, store.OrderUnpaid}

// OrderList handles the "GET /orders" route: one row per referenceOrderId
// with every payment attempt (a failed or expired session is followed by a
// new paymentRequestId for the same order), the order's overall state and a
// link to each attempt. Newest first, keyset-paginated.
func (h *Handlers) OrderList(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	state := c.QueryParam("state")
	cursor := c.QueryParam("cursor")
	f := store.OrderFilter{Query: q, Cursor: cursor, Limit: 50}
	if state != "" {
		if !slices.Contains(orderStates, store.OrderState(state)) {
			return errInvalid("state", "Unknown order state.")
		}
		f.State = store.OrderState(state)
	}
	page, err := h.Store.ListOrders(c.Request().Context(), f)
	if err != nil {
		return err
	}
	vm := pages.OrderListPage{
		ActionURL: paths.Orders,
		Query:     q,
		State:     []pages.Option{{Value: "", Label: "Any state"}},
		Empty:     "No order matches.",
	}
	for _, s := range orderStates {
		vm.State = append(vm.State, pages.Option{Value: string(s), Label: orderBadge(s).Label, Selected: state == string(s)})
	}
	for _, o := range page.Items {
		row := pages.OrderRow{
			ReferenceOrderID: o.ReferenceOrderID,
			State:            orderBadge(o.State),
			FirstCreated:     when(o.FirstCreatedAt),
			LastCreated:      when(o.LastCreatedAt),
			PaymentsURL:      paths.PaymentsSearch(o.ReferenceOrderID),
		}
		for _, p := range o.Attempts {
			row.Attempts = append(row.Attempts, pages.OrderAttempt{
				PaymentRequestID: p.PaymentRequestID,
				URL:              paths.Payment(p.PaymentRequestID),
				Status:           paymentBadge(p.Status),
				Amount:           money(p.AmountMinor, p.Currency),
				Created:          when(p.CreatedAt),
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
