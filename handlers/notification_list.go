package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

var (
	verdicts    = []store.Verdict{store.VerdictOK, store.VerdictMissing, store.VerdictBad, store.VerdictUnverifiable}
	notifyTypes = []string{antom.NotifyPaymentResult, antom.NotifyPaymentPending, antom.NotifyCaptureResult, antom.NotifyRefundResult}
	outcomes    = []store.Outcome{store.OutcomeApplied, store.OutcomeDuplicate, store.OutcomeOutOfOrder, store.OutcomeStale,
		store.OutcomeContradiction, store.OutcomeUnknownPayment, store.OutcomeRejected, store.OutcomeNotApplied}
)

// parseDeliveryFilter reads the notifications list's filter (verdict, type,
// outcome), which its CSV export shares.
func parseDeliveryFilter(c echo.Context) (store.DeliveryFilter, error) {
	verdict, typ, outcome := c.QueryParam("verdict"), c.QueryParam("type"), c.QueryParam("outcome")
	switch {
	case verdict != "" && !slices.Contains(verdicts, store.Verdict(verdict)):
		return store.DeliveryFilter{}, errInvalid("verdict", "Unknown signature verdict.")
	case typ != "" && !slices.Contains(notifyTypes, typ):
		return store.DeliveryFilter{}, errInvalid("type", "Unknown notification type.")
	case outcome != "" && !slices.Contains(outcomes, store.Outcome(outcome)):
		return store.DeliveryFilter{}, errInvalid("outcome", "Unknown outcome.")
	}
	return store.DeliveryFilter{Verdict: store.Verdict(verdict), NotifyType: typ, Outcome: store.Outcome(outcome)}, nil
}

// NotificationList handles the "GET /notifications" route: every inbound
// delivery, newest first, filtered by signature verdict, notifyType and
// outcome; duplicates and out-of-order arrivals are labelled as such,
// refused deliveries kept summarised are marked with their full size, and
// the refused deliveries dropped by the rate limits are counted above.
func (h *Handlers) NotificationList(c echo.Context) error {
	verdict, typ, outcome, cursor := c.QueryParam("verdict"), c.QueryParam("type"), c.QueryParam("outcome"), c.QueryParam("cursor")
	f, err := parseDeliveryFilter(c)
	if err != nil {
		return err
	}
	f.Cursor, f.Limit = cursor, 50
	page, err := h.Store.ListDeliveries(c.Request().Context(), f)
	if err != nil {
		return err
	}
	drops, err := h.Store.RefusedDrops(c.Request().Context(), h.Now().Add(-h.Webhook.RefusedRetention), 3)
	if err != nil {
		return err
	}
	vm := pages.DeliveryListPage{
		Dropped:   h.droppedText(drops),
		ActionURL: paths.Notifications,
		Verdict:   []pages.Option{{Value: "", Label: "Any signature"}},
		Type:      []pages.Option{{Value: "", Label: "Any type"}},
		Outcome:   []pages.Option{{Value: "", Label: "Any outcome"}},
		Empty:     h.notificationsEmpty(verdict != "" || typ != "" || outcome != "", cursor != ""),
		ExportURL: paths.Export(paths.Notifications, url.Values{"verdict": {verdict}, "type": {typ}, "outcome": {outcome}}),
	}
	for _, v := range verdicts {
		vm.Verdict = append(vm.Verdict, pages.Option{Value: string(v), Label: verdictBadge(v).Label, Selected: verdict == string(v)})
	}
	for _, t := range notifyTypes {
		vm.Type = append(vm.Type, pages.Option{Value: t, Label: t, Selected: typ == t})
	}
	for _, o := range outcomes {
		vm.Outcome = append(vm.Outcome, pages.Option{Value: string(o), Label: outcomeBadge(o).Label, Selected: outcome == string(o)})
	}
	if vm.ApplyAgain, err = h.applyAgainBulk(c); err != nil {
		return err
	}
	now := h.viewerNow(c)
	for i := range page.Items {
		vm.Rows = append(vm.Rows, deliveryRow(&page.Items[i], now))
	}
	base := url.Values{"verdict": {verdict}, "type": {typ}, "outcome": {outcome}}
	if cursor != "" {
		vm.Pager.FirstURL = withQuery(paths.Notifications, base)
	}
	if page.NextCursor != "" {
		base.Set("cursor", page.NextCursor)
		vm.Pager.NextURL = withQuery(paths.Notifications, base)
	}
	return render(c, http.StatusOK, pages.NotificationList(h.page(c, "Notifications", layout.NavNotifications), vm))
}

// notificationsEmpty is the notifications list's empty state: none yet
// (with where Antom sends them), none matching the filters, or no older ones.
func (h *Handlers) notificationsEmpty(filtered, older bool) pages.EmptyView {
	switch {
	case filtered:
		return pages.EmptyView{Title: "No notification matches these filters.",
			LinkURL: paths.Notifications, LinkText: "Clear the filters"}
	case older:
		return pages.EmptyView{Title: "No older notifications.", LinkURL: paths.Notifications, LinkText: "Back to the newest"}
	}
	hint := "Antom notifies the paymentNotifyUrl of each session, usually within seconds of a payment or a capture result."
	if h.NotifyURL != "" {
		hint = "Antom sends payment and capture results to " + h.NotifyURL + ", usually within seconds of the result. " +
			"If a payment has a result but nothing arrives here, check that Antom can reach that URL."
	}
	return pages.EmptyView{Title: "No notification has arrived yet.", Hint: hint}
}

// deliveryRow builds one row of the notifications list at now.
func deliveryRow(d *store.Delivery, now time.Time) pages.DeliveryRow {
	r := pages.DeliveryRow{
		Key:        strconv.FormatInt(d.ID, 10),
		URL:        paths.Notification(d.ID),
		ReceivedAt: stampOf(d.ReceivedAt, now),
		NotifyType: d.NotifyType,
		Subject:    firstNonEmpty(d.PaymentRequestID, d.SubjectID, d.PaymentID),
		Result:     resultText(d.ResultStatus, d.ResultCode, ""),
		Verdict:    verdictBadge(d.Verdict),
		Outcome:    outcomeBadge(d.Outcome),
		Response:   strconv.Itoa(d.ResponseStatus),
	}
	if d.PaymentRequestID != "" {
		r.PaymentURL = paths.Payment(d.PaymentRequestID)
	}
	if d.DuplicateOf != 0 {
		r.DuplicateOf = paths.Notification(d.DuplicateOf)
	}
	if r.NotifyType == "" {
		r.NotifyType = "—"
	}
	if d.Summarised {
		r.Summarised = "summarised · " + byteSize(int(d.BodySize))
		r.SummarisedTitle = "Refused delivery kept in part; SHA-256 of the whole body: " + d.BodySHA256
	}
	return r
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
