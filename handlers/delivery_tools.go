package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// Route names of the delivery tools.
const (
	RouteNotificationApplyAgain     = "notifications.apply_again"      // POST /notifications/:id/apply-again
	RouteNotificationApplyAgainBulk = "notifications.apply_again_bulk" // POST /notifications/apply-again
)

// attemptsViews renders each notification's attempts; current is the
// delivery the page is about (0 for none).
func attemptsViews(groups []store.NotificationAttempts, current int64, now time.Time) []pages.AttemptsView {
	out := make([]pages.AttemptsView, 0, len(groups))
	for _, g := range groups {
		r := g.Report
		v := pages.AttemptsView{Title: strings.TrimSpace(g.First.NotifyType + " " + g.First.ResultStatus + " " + g.First.ResultCode)}
		if v.Title == "" {
			v.Title = "Notification (not parsed)"
		}
		last := 0
		for _, a := range r.Attempts {
			if a.State == antom.AttemptArrived && a.N > last {
				last = a.N
			}
		}
		switch {
		case r.Acked:
			v.Tone = pages.ToneOK
			v.Summary = fmt.Sprintf("Acknowledged on attempt %d of %d; Antom sends no more.", last, antom.NotifyMaxAttempts)
		case r.GaveUp:
			v.Tone = pages.ToneBad
			v.Summary = fmt.Sprintf("Never acknowledged: Antom made all %d attempts and has stopped. Apply it again if it was verified, or run an inquiry to get the outcome.", antom.NotifyMaxAttempts)
		default:
			v.Tone = pages.ToneWarn
			v.Summary = fmt.Sprintf("Not acknowledged yet: Antom's next attempt is expected %s (%s); %d of %d attempts remain.",
				when(r.Next, now.Location()), relTime(r.Next, now), r.Remaining, antom.NotifyMaxAttempts)
		}
		if r.LostAcks > 0 {
			v.Summary += fmt.Sprintf(" Paydesk acknowledged it %d time(s) and Antom sent it again: the acknowledgement did not reach Antom (a proxy timeout or a connection dropped after Paydesk answered).", r.LostAcks)
		}
		if missing := countState(r, antom.AttemptMissing); missing > 0 {
			v.Summary += fmt.Sprintf(" %d scheduled attempt(s) never arrived: check the proxy and the network in front of Paydesk for those times.", missing)
		}
		for _, a := range r.Attempts {
			row := pages.AttemptRow{N: "–", State: attemptBadge(a.State)}
			if a.N > 0 {
				row.N = strconv.Itoa(a.N)
				row.Expected = stampOf(a.Expected, now)
			}
			if a.Arrival != nil {
				d := g.Deliveries[a.Arrival.ID]
				row.Arrived = stampOf(a.Arrival.At, now)
				row.DeliveryID = strconv.FormatInt(d.ID, 10)
				row.URL = paths.Notification(d.ID)
				row.Answer = answerText(d)
				row.Current = d.ID == current
			}
			v.Rows = append(v.Rows, row)
		}
		if !r.Next.IsZero() && !r.Acked {
			v.Rows = append(v.Rows, pages.AttemptRow{N: strconv.Itoa(antom.NotifyMaxAttempts - r.Remaining + 1),
				Expected: stampOf(r.Next, now), State: attemptBadge(antom.AttemptExpected)})
		}
		out = append(out, v)
	}
	return out
}

func countState(r antom.AttemptReport, s antom.AttemptState) int {
	n := 0
	for _, a := range r.Attempts {
		if a.State == s {
			n++
		}
	}
	return n
}

func attemptBadge(s antom.AttemptState) pages.Badge {
	switch s {
	case antom.AttemptArrived:
		return pages.Badge{Label: "arrived", Tone: pages.ToneNeutral}
	case antom.AttemptMissing:
		return pages.Badge{Label: "never arrived", Tone: pages.ToneBad, Title: "Antom's schedule had an attempt here while the notification was not acknowledged, and none reached Paydesk."}
	case antom.AttemptExpected:
		return pages.Badge{Label: "expected", Tone: pages.ToneInfo}
	}
	return pages.Badge{Label: "not in the schedule", Tone: pages.ToneWarn, Title: "An arrival no scheduled attempt explains: a resend after the acknowledgement, or a duplicate."}
}

// markAttempts badges each timeline entry of a delivery that was not
// Antom's first attempt with which attempt it was ("Antom's attempt 3 of
// 8"), or that no scheduled attempt explains it; first attempts stay plain.
func markAttempts(entries []pages.TimelineEntry, groups []store.NotificationAttempts) {
	labels := map[string]pages.Badge{}
	for _, g := range groups {
		for _, a := range g.Report.Attempts {
			if a.Arrival == nil {
				continue
			}
			url := paths.Notification(a.Arrival.ID)
			switch {
			case a.N == 0:
				labels[url] = pages.Badge{Label: "resend, not in Antom's schedule", Tone: pages.ToneWarn,
					Title: "No scheduled attempt explains this arrival: a duplicate, or a resend after the acknowledgement."}
			case a.N > 1:
				labels[url] = pages.Badge{Label: fmt.Sprintf("Antom's attempt %d of %d", a.N, antom.NotifyMaxAttempts), Tone: pages.ToneNeutral,
					Title: "Antom sent this notification again because an earlier attempt was not acknowledged."}
			}
		}
	}
	if len(labels) == 0 {
		return
	}
	for i := range entries {
		if b, ok := labels[entries[i].DeliveryURL]; ok {
			entries[i].Badges = append(entries[i].Badges, b)
		}
		for j := range entries[i].Folded {
			if b, ok := labels[entries[i].Folded[j].DeliveryURL]; ok {
				entries[i].Folded[j].Badges = append(entries[i].Folded[j].Badges, b)
			}
		}
	}
}

// answerText is what Paydesk answered a delivery, in words.
func answerText(d store.Delivery) string {
	s := strconv.Itoa(d.ResponseStatus)
	switch {
	case d.ResponseStatus == http.StatusOK:
		return s + " acknowledged"
	case d.Outcome == store.OutcomeNotApplied:
		return s + " not applied"
	case d.Verdict != store.VerdictOK:
		return s + " signature " + string(d.Verdict)
	}
	return s + " " + http.StatusText(d.ResponseStatus)
}

// deliveryTools fills the notification page's attempts, signature diagnosis
// and apply-again sections.
func (h *Handlers) deliveryTools(c echo.Context, vm *pages.DeliveryPage, d *store.Delivery) error {
	ctx := c.Request().Context()
	now := h.viewerNow(c)
	u := currentUser(c)
	same, err := h.Store.NotificationDeliveries(ctx, d)
	if err != nil {
		return err
	}
	vm.Attempts = attemptsViews(store.DeliveryAttempts(same, now), d.ID, now)

	if d.Verdict == store.VerdictBad || d.Verdict == store.VerdictMissing {
		in := antom.DiagnoseInput{
			Key: h.notifyKey(), Path: d.Path, RawQuery: d.RawQuery, ClientID: d.ClientID, RequestTime: d.RequestTime,
			SignatureHeader: http.Header(d.Headers).Get(antom.HeaderSignature), Body: d.Body,
			BodyComplete: int64(len(d.Body)) == d.BodySize, NotifyURL: h.NotifyURL,
		}
		if h.Antom != nil {
			in.MerchantClientID = h.Antom.ClientID()
		}
		dg := antom.DiagnoseSignature(in)
		dv := &pages.DiagnosisView{Cause: string(dg.Cause), Verdict: dg.Verdict, Variant: dg.Variant, Tried: dg.Tried, Fingerprint: dg.KeyFingerprint}
		if dv.Fingerprint == "" {
			dv.Fingerprint = "none configured"
		}
		if dg.Verified && can(u, PermManageSettings) {
			dv.SignedText, _ = clipText(dg.SignedContent, rawShown)
		}
		if dg.Cause == antom.CauseUnexplained {
			hist, err := h.Store.SignatureHistoryAt(ctx, d.ID)
			if err != nil {
				return err
			}
			dv.History = historyText(hist, now.Location())
		}
		vm.Diagnosis = dv
	}

	if d.Outcome == store.OutcomeNotApplied || !d.ReappliedAt.IsZero() {
		a := &pages.ApplyAgainView{Note: "Paydesk verified this notification but could not apply it, and answered an error so that Antom retries. " + d.ParseError}
		switch {
		case !d.ReappliedAt.IsZero():
			a.Done = fmt.Sprintf("Applied again by %s at %s: %s.", d.ReappliedBy, when(d.ReappliedAt, now.Location()), strings.ReplaceAll(string(d.Outcome), "_", " "))
		case can(u, PermApplyAgain):
			a.Action, a.CSRFToken = paths.Notification(d.ID)+"/apply-again", csrfToken(c)
		}
		vm.ApplyAgain = a
	}
	return nil
}

// historyText says what the signature verdicts before a delivery suggest
// about the key.
func historyText(h store.SignatureHistory, loc *time.Location) string {
	switch {
	case h.LastVerified.IsZero() && h.FailedSince > 0:
		return fmt.Sprintf("No delivery has ever verified with this key (%d failed). Check that the configured key is Antom's public key for this client-id, not the merchant's own key.", h.FailedSince)
	case h.FailedSince >= 3:
		return fmt.Sprintf("Every delivery since %s has failed verification (%d), and the one before verified at %s: a key rotation at Antom is likely. Compare the public key in Antom's dashboard with the fingerprint below.",
			when(h.FailingSince, loc), h.FailedSince, when(h.LastVerified, loc))
	case !h.LastVerified.IsZero():
		return fmt.Sprintf("Deliveries verified until %s; this failure is not part of a run, so a rotated key is unlikely.", when(h.LastVerified, loc))
	}
	return ""
}

// NotificationApplyAgain handles "POST /notifications/:id/apply-again": apply
// a verified delivery that could not be applied, through the ledger's usual
// rules. A second click changes nothing.
func (h *Handlers) NotificationApplyAgain(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound("No notification %q.", c.Param("id"))
	}
	_, err = h.Store.ApplyDeliveryAgain(c.Request().Context(), id, h.auditContext(c))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNotFound("No notification %d.", id)
	case errors.Is(err, store.ErrNotReapplicable):
		return errInvalid("", "Only a verified notification that could not be applied can be applied again.")
	case errors.Is(err, store.ErrUnavailable):
		return err
	case err != nil:
		// The ledger refused it again (the reason it was not applied
		// stands); nothing changed.
		h.Log.ErrorContext(c.Request().Context(), "apply again", "delivery", id, "err", err.Error())
		return errConflict("It still could not be applied: %s. Nothing changed.", err.Error())
	}
	return c.Redirect(http.StatusSeeOther, paths.Notification(id))
}

// sinceLayouts are the forms of the bulk form's since field (an HTML
// datetime-local input, in the viewer's zone).
var sinceLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", time.RFC3339}

// NotificationApplyAgainBulk handles "POST /notifications/apply-again": apply
// again every not-applied delivery received since the given time (in the
// viewer's zone),
// after an outage, each in its own transaction.
func (h *Handlers) NotificationApplyAgainBulk(c echo.Context) error {
	raw := strings.TrimSpace(c.FormValue("since"))
	var since time.Time
	var err error
	for _, layout := range sinceLayouts {
		if since, err = time.ParseInLocation(layout, raw, h.viewerZone(c)); err == nil {
			break
		}
	}
	if err != nil {
		return errInvalid("since", "Give the time to apply again from as YYYY-MM-DDTHH:MM (%s).", h.viewerZone(c))
	}
	if since.After(h.Now()) {
		return errInvalid("since", "The time to apply again from is in the future.")
	}
	results, failed, more, err := h.Store.ApplyAgainSince(c.Request().Context(), since, h.auditContext(c))
	if err != nil && len(results) == 0 {
		return err
	}
	for id, ferr := range failed {
		h.Log.ErrorContext(c.Request().Context(), "apply again", "delivery", id, "err", ferr.Error())
	}
	q := url.Values{"applied_again": {strconv.Itoa(len(results))}}
	if len(failed) > 0 {
		q.Set("failed", strconv.Itoa(len(failed)))
	}
	if more {
		q.Set("more", "1")
	}
	return c.Redirect(http.StatusSeeOther, paths.Notifications+"?"+q.Encode())
}

// applyAgainBulk is the notification list's bulk apply-again offer.
func (h *Handlers) applyAgainBulk(c echo.Context) (*pages.ApplyAgainBulkView, error) {
	n, first, err := h.Store.CountNotApplied(c.Request().Context())
	if err != nil {
		return nil, err
	}
	var b pages.ApplyAgainBulkView
	if done := c.QueryParam("applied_again"); done != "" {
		b.Result = "Applied again: " + done + "."
		if f := c.QueryParam("failed"); f != "" {
			b.Result += " " + f + " could not be applied; open them to see why."
		}
		if c.QueryParam("more") != "" {
			b.Result += " More remain: run it again."
		}
	}
	if n > 0 {
		loc := h.viewerZone(c)
		b.Count = fmt.Sprintf("%d verified notification(s) could not be applied (the earliest at %s). Antom retries them, but after an outage you can apply them now.", n, when(first, loc))
		if can(currentUser(c), PermApplyAgain) {
			b.Action, b.CSRFToken = paths.Notifications+"/apply-again", csrfToken(c)
			b.Since, b.Zone = first.In(loc).Format("2006-01-02T15:04:05"), loc.String()
		}
	}
	if b.Result == "" && b.Count == "" {
		return nil, nil
	}
	return &b, nil
}
