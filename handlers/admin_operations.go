package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/store/ops"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// RouteOperationsHealth names the background-work page's route.
const RouteOperationsHealth = "operations.health"

// pendingOperationsShown bounds the operations the background-work page lists.
const pendingOperationsShown = 50

// lateAfter is how late the reconciler or the poller may run before the
// page says so: they take due work as fast as Antom answers, so a minute
// behind means they cannot keep up (or Antom is slow).
const lateAfter = time.Minute

// OperationsHealth handles "GET /admin/operations": the money operations
// in flight (how many, how many with an unknown answer or past Antom's
// window, the most overdue one and how late it is), the poller's lag,
// the calls to Antom in flight against their bound, this process's
// counters, and the operations in flight, due soonest first, each linked
// to its payment.
func (h *Handlers) OperationsHealth(c echo.Context) error {
	ctx := c.Request().Context()
	health, err := h.Operations.Health(ctx)
	if err != nil {
		return err
	}
	pending, err := h.Store.PendingOperations(ctx, pendingOperationsShown)
	if err != nil {
		return err
	}
	now := h.viewerNow(c)
	vm := pages.OperationsHealthPage{
		AsOf:       stampOf(now, now),
		Notices:    healthNotices(health),
		Operations: operationsFields(health, pending, now),
		Poller: []pages.Field{
			{Label: "Inquiries due now", Value: strconv.Itoa(health.PollsDue), TestID: "health-polls-due"},
			{Label: "Poll lag", Value: lagText(health.PollLag), TestID: "health-poll-lag"},
		},
		Calls: []pages.Field{
			{Label: "In flight now", TestID: "health-in-flight", Value: fmt.Sprintf("%d (at most %d for the reconciler and %d for the poller)",
				health.InFlight, health.Concurrency, health.Concurrency)},
			{Label: "Operation and session attempts since start", Value: strconv.FormatInt(health.Attempts, 10), TestID: "health-attempts"},
			{Label: "of which by the reconciler", Value: strconv.FormatInt(health.Reconciled, 10), TestID: "health-reconciled"},
			{Label: "Payment inquiries since start", Value: strconv.FormatInt(health.Inquiries, 10), TestID: "health-inquiries"},
			{Label: "Answers not recorded since start", Value: strconv.FormatInt(health.RecordFailures, 10), TestID: "health-record-failures"},
		},
		Pending:    operationRows(pending, true, now),
		RefreshURL: paths.Operations,
		Empty: pages.EmptyView{Title: "Nothing in flight.",
			Hint: "Every capture, cancel and refund staff asked for has Antom's definitive answer."},
	}
	if health.Pending > len(pending) {
		vm.PendingNote = fmt.Sprintf("The %d due soonest of %d in flight.", len(pending), health.Pending)
	}
	return render(c, http.StatusOK, pages.OperationsHealth(h.page(c, "Background work", layout.NavOperations), vm))
}

// operationsFields are the figures of the operations in flight. pending is
// due soonest first, so its first entry is the most overdue one.
func operationsFields(health ops.Health, pending []store.Operation, now time.Time) []pages.Field {
	due := "none"
	switch {
	case len(pending) > 0 && health.Lag > 0:
		op := &pending[0]
		due = fmt.Sprintf("%s on %s, due %s: %s late", op.Title(), op.PaymentRequestID, clock(op.NextAttemptAt, now), lagText(health.Lag))
	case !health.OldestDueAt.IsZero():
		due = "none late; the next is due " + clock(health.OldestDueAt, now)
	}
	return []pages.Field{
		{Label: "In flight", Value: strconv.Itoa(health.Pending), TestID: "health-pending"},
		{Label: "Antom's answer unknown", Value: strconv.Itoa(health.Unknown), TestID: "health-unknown"},
		{Label: "Past Antom's window", Value: strconv.Itoa(health.Overdue), TestID: "health-overdue"},
		{Label: "Oldest in flight, asked", At: stampOf(health.OldestPending, now), TestID: "health-oldest"},
		{Label: "Most overdue attempt", Value: due, TestID: "health-lag"},
		{Label: "Refused by Antom, last 24 h", Value: strconv.Itoa(health.RecentFailures), TestID: "health-refused"},
	}
}

// healthNotices say what on the page needs a person.
func healthNotices(health ops.Health) []pages.Notice {
	var out []pages.Notice
	if health.Overdue > 0 {
		out = append(out, pages.Notice{Tone: pages.ToneBad, Text: plural(health.Overdue, "operation is", "operations are") +
			" still unconfirmed past Antom's window (badge “overdue” below): contact Antom Technical Support with each one's request ID."})
	}
	if health.Lag > lateAfter {
		out = append(out, pages.Notice{Tone: pages.ToneWarn, Text: "Operations are running " + lagText(health.Lag) +
			" behind their due time: Antom is slow to answer, or there is more due work than the calls in flight can take."})
	}
	if health.PollLag > lateAfter {
		out = append(out, pages.Notice{Tone: pages.ToneWarn, Text: "Payment inquiries are running " + lagText(health.PollLag) +
			" behind their due time: payments in flight learn their result later than they should."})
	}
	if health.RecordFailures > 0 {
		out = append(out, pages.Notice{Tone: pages.ToneWarn, Text: plural(int(health.RecordFailures), "answer", "answers") +
			" from Antom could not be recorded since this server started; each was asked again when its lease ended. The server log says why."})
	}
	return out
}

// lagText is how late something runs: "none", "12 s", "3 min 4 s", "2 h 5 min".
func lagText(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d <= 0:
		return "none"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d d %d h", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
