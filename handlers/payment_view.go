package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/components"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// paymentForms carries what a failed action wants shown again: the values
// typed and the inline errors. The zero value shows fresh forms.
type paymentForms struct {
	Capture pages.MoneyForm
	Refund  pages.MoneyForm
	Cancel  pages.ActionForm
	Inquiry pages.ActionForm
	Retry   pages.ActionForm
	Notice  *pages.Notice
}

// paymentDetail loads a payment with its deliveries and builds the detail
// page's view model.
func (h *Handlers) paymentDetail(c echo.Context, id string, forms paymentForms) (pages.PaymentDetailPage, error) {
	ctx := c.Request().Context()
	d, err := h.Store.GetPayment(ctx, id)
	if err != nil {
		return pages.PaymentDetailPage{}, err
	}
	deliveries, err := h.paymentDeliveries(ctx, id)
	if err != nil {
		return pages.PaymentDetailPage{}, err
	}
	return h.paymentDetailView(c, d, deliveries, forms), nil
}

// paymentDeliveries lists the notifications linked to a payment, oldest
// first (the newest 200), with their bodies (Antom's attempts are placed by
// the event time the body names).
func (h *Handlers) paymentDeliveries(ctx context.Context, id string) ([]store.Delivery, error) {
	return h.Store.PaymentDeliveries(ctx, id)
}

// paymentDetailView builds the detail page from a loaded payment.
func (h *Handlers) paymentDetailView(c echo.Context, d *store.PaymentDetail, deliveries []store.Delivery, forms paymentForms) pages.PaymentDetailPage {
	p := &d.Payment
	now := h.viewerNow(c)
	vm := pages.PaymentDetailPage{
		PaymentRequestID: p.PaymentRequestID,
		ListURL:          paths.Payments,
	}
	live := pages.PaymentLive{
		Status:           shownStatus(p, now),
		RawStatus:        string(p.Status),
		Flags:            flagBadges(p.Flags),
		FlagDetails:      FlagExplanations(p.Flags),
		Amount:           money(p.AmountMinor, p.Currency),
		Captured:         money(p.CapturedMinor, p.Currency),
		Refunded:         money(p.RefundedMinor, p.Currency),
		CaptureState:     captureStateBadge(p.CaptureState),
		Card:             cardText(p.CardBrand, p.CardLast4),
		PaidAt:           stampOf(p.PaidAt, now),
		AuthExpiresAt:    stampOf(p.AuthExpiresAt, now),
		PaymentID:        p.PaymentID,
		AcquirerRef:      p.AcquirerRef,
		SessionExpiresAt: stampOf(p.SessionExpiresAt, now),
		SessionExpired:   p.SessionExpired(now) || p.Status == store.StatusExpired,
		Captures:         captureRows(d.Captures, false, now),
		CapturesEmpty:    capturesEmpty(p, now),
		Operations:       operationRows(newestFirst(d.Operations, paymentOperationsShown), false, now),
		Refunds:          refundRows(d.Refunds, now),
		Timeline:         omittedEntry(d.TimelineOmitted, timeline(d.Timeline, deliveries, !can(currentUser(c), PermViewBuyerData), now)),
	}
	applyHierarchy(&live, p, can(currentUser(c), PermViewBuyerData), now)
	live.ResultCode, live.ResultMessage = statusDetail(p.Status, p.ResultCode, p.ResultMessage)
	if n := len(d.Operations); n > paymentOperationsShown {
		live.OperationsNote = fmt.Sprintf("The %d latest of %d operations; the timeline has every one.", paymentOperationsShown, n)
	}
	live.Notices = stateNotices(d, now)
	live.Failure = failureView(store.FailureInputOf(d, now))
	if can(currentUser(c), PermViewAudit) {
		live.AuditURL = paths.Audit + "?payment=" + url.QueryEscape(p.PaymentRequestID)
	}
	if !p.Settled {
		live.PollURL = paths.PaymentLive(p.PaymentRequestID, p.Version)
	}
	if h.CheckoutURL != nil && p.SessionData != "" && p.Status == store.StatusSessionReady && !live.SessionExpired {
		// The simulator's checkout stands in for the app: it reports the
		// buyer's SDK event with the payment's client secret.
		live.CheckoutURL = withQueryParam(h.CheckoutURL(p.SessionData), "clientSecret", h.ClientSecret(p.PaymentRequestID))
	}
	if forms.Notice != nil {
		live.Notices = append([]pages.Notice{*forms.Notice}, live.Notices...)
	}
	live.Actions = h.paymentActions(c, d, forms)
	groups := store.DeliveryAttempts(deliveries, now)
	markAttempts(live.Timeline, groups)
	vm.Live = live
	vm.Attempts = attemptsViews(groups, 0, now)
	return vm
}

// paymentActions decides which forms the page offers: by what the payment
// allows now (store.Allowed, which the store checks again on submit) and
// by the user's role.
func (h *Handlers) paymentActions(c echo.Context, d *store.PaymentDetail, forms paymentForms) pages.PaymentActions {
	p := &d.Payment
	u := currentUser(c)
	id := p.PaymentRequestID
	a := pages.PaymentActions{CSRFToken: csrfToken(c), PaymentURL: paths.Payment(id)}
	if can(u, PermInquire) && p.Status != store.StatusCreated && p.Status != store.StatusSessionFailed {
		f := forms.Inquiry
		f.ActionURL = paths.PaymentInquiry(id)
		a.Inquiry = &f
	}
	if can(u, PermCreateSession) && p.Status == store.StatusCreated {
		f := forms.Retry
		f.ActionURL = paths.PaymentRetry(id)
		a.Retry = &f
	}
	// store.Allowed is the rule the store enforces on submit too.
	allowed := d.Allowed(h.viewerNow(c))
	moneyPossible := false
	if allowed.CanCapture() {
		moneyPossible = true
		if can(u, PermMoveMoney) {
			f := forms.Capture
			f.ActionURL = paths.PaymentCapture(id)
			f.Currency, f.Max, f.Full = p.Currency, money(allowed.Capturable, p.Currency), plainMajor(allowed.Capturable, p.Currency)
			f.StepUp = !h.passwordRecentlyConfirmed(c)
			if f.Confirming {
				f.Confirm = confirmQuestion("Capture %s of payment %s?", f.Amount, p.Currency, id)
			}
			a.Capture = &f
		}
	}
	if allowed.CanCancel() {
		moneyPossible = true
		if can(u, PermMoveMoney) {
			f := forms.Cancel
			f.ActionURL = paths.PaymentCancel(id)
			f.StepUp = true // cancels always ask (stepUpEveryTime)
			if f.Confirming {
				f.Confirm = "Cancel payment " + id + " (" + money(p.AmountMinor, p.Currency) + ")? The whole authorization is released; it cannot be captured afterwards."
			}
			a.Cancel = &f
		}
	}
	if allowed.CanRefund() {
		moneyPossible = true
		if can(u, PermMoveMoney) {
			f := forms.Refund
			f.ActionURL = paths.PaymentRefund(id)
			f.Currency, f.Max, f.Full = p.Currency, money(allowed.Refundable, p.Currency), plainMajor(allowed.Refundable, p.Currency)
			f.StepUp = true // refunds always ask (stepUpEveryTime)
			if f.Confirming {
				f.Confirm = confirmQuestion("Refund %s of payment %s to the buyer?", f.Amount, p.Currency, id)
			}
			a.Refund = &f
		}
	}
	if moneyPossible && !can(u, PermMoveMoney) {
		a.ReadOnly = "Capture, cancel and refund need the operator or admin role."
	}
	return a
}

// confirmQuestion is a confirmation panel's question, format taking the
// amount (typed, in major units) formatted in its currency and the
// paymentRequestId.
func confirmQuestion(format, amount, currency, id string) string {
	shown := amount + " " + currency
	if minor, err := antom.ParseMajor(amount, currency); err == nil {
		shown = money(minor, currency)
	}
	return fmt.Sprintf(format, shown, id)
}

// stateNotices explain what the page shows while it is not final: an
// expired session the sweeper has not recorded yet, the captures, cancels
// and refunds staff asked for that await Antom's definitive answer (one
// notice per pending operation), and captures or refunds in flight that no
// operation owns (an automatic capture, a refund made elsewhere). They are
// recomputed on every render, so none outlives the state it describes.
func stateNotices(d *store.PaymentDetail, now time.Time) []pages.Notice {
	var out []pages.Notice
	p := &d.Payment
	if p.Status == store.StatusSessionReady && p.SessionExpired(now) {
		at := when(p.SessionExpiresAt, now.Location())
		if ago := relTime(p.SessionExpiresAt, now); ago != "" {
			at += " (" + ago + ")"
		}
		out = append(out, pages.Notice{Tone: pages.ToneWarn, Text: "The session expired at " + at +
			": the buyer can no longer pay it. Paydesk records the payment as EXPIRED at its next sweep."})
	}
	owned := map[store.OpKind]map[string]bool{store.OpCapture: {}, store.OpRefund: {}}
	for i := range d.Operations {
		op := &d.Operations[i]
		if op.State != store.OpPending {
			continue
		}
		if owned[op.Kind] != nil {
			owned[op.Kind][op.RequestID] = true
		}
		out = append(out, operationNotice(op))
	}
	for _, cp := range d.Captures {
		if cp.Status == store.TxnProcessing && !owned[store.OpCapture][cp.CaptureRequestID] {
			out = append(out, pages.Notice{Tone: pages.ToneInfo, Text: "A capture of " + money(cp.AmountMinor, cp.Currency) +
				" awaits Antom's result; this page updates when it arrives."})
		}
	}
	for _, r := range d.Refunds {
		if r.Status == store.TxnProcessing && !owned[store.OpRefund][r.RefundRequestID] {
			out = append(out, pages.Notice{Tone: pages.ToneInfo, Text: "A refund of " + money(r.AmountMinor, r.Currency) +
				" awaits Antom's result; this page updates when it arrives."})
		}
	}
	return out
}

// paymentOperationsShown bounds the operations listed on a payment's page.
const paymentOperationsShown = 20

// newestFirst is at most n of ops (oldest first), newest first.
func newestFirst(ops []store.Operation, n int) []store.Operation {
	out := make([]store.Operation, 0, min(len(ops), n))
	for i := len(ops) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, ops[i])
	}
	return out
}

// operationRows builds operation rows at now; withPayment links each to its
// payment (the background-work page).
func operationRows(ops []store.Operation, withPayment bool, now time.Time) []pages.OperationRow {
	rows := make([]pages.OperationRow, 0, len(ops))
	for i := range ops {
		op := &ops[i]
		r := pages.OperationRow{
			Key:        "op-" + strconv.FormatInt(op.ID, 10),
			Kind:       string(op.Kind),
			Title:      op.Title(),
			RequestID:  op.RequestID,
			Actor:      op.Actor,
			Asked:      stampOf(op.CreatedAt, now),
			State:      operationBadge(op),
			Sentence:   operationState(op, now),
			LastAnswer: operationLastAnswer(op),
			Attempts:   plural(op.Attempts, "attempt", "attempts"),
		}
		if withPayment {
			r.PaymentRequestID, r.PaymentURL = op.PaymentRequestID, paths.Payment(op.PaymentRequestID)
		}
		rows = append(rows, r)
	}
	return rows
}

// plural is "1 attempt", "3 attempts".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// captureRows builds capture rows at now; withPayment links each to its payment.
func captureRows(cs []store.Capture, withPayment bool, now time.Time) []pages.CaptureRow {
	rows := make([]pages.CaptureRow, 0, len(cs))
	for _, cp := range cs {
		r := pages.CaptureRow{
			Key:              strconv.FormatInt(cp.ID, 10),
			CaptureID:        cp.CaptureID,
			CaptureRequestID: cp.CaptureRequestID,
			PaymentRequestID: cp.PaymentRequestID,
			Amount:           money(cp.AmountMinor, cp.Currency),
			Status:           txnBadge(cp.Status),
			Result:           resultText(cp.ResultStatus, cp.ResultCode, cp.ResultMessage),
			AcquirerRef:      cp.AcquirerRef,
			Time:             stampOf(firstTime(cp.CapturedAt, cp.CreatedAt), now),
			Actor:            cp.Actor,
			Settlement:       settlementText(cp.Details.Settlement),
			Acquirer:         acquirerText(cp.Details.Acquirer),
		}
		if withPayment {
			r.PaymentURL = paths.Payment(cp.PaymentRequestID)
		}
		rows = append(rows, r)
	}
	return rows
}

// refundRows builds refund rows at now.
func refundRows(rs []store.Refund, now time.Time) []pages.RefundRow {
	rows := make([]pages.RefundRow, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, pages.RefundRow{
			Key:             strconv.FormatInt(r.ID, 10),
			RefundID:        r.RefundID,
			RefundRequestID: r.RefundRequestID,
			Amount:          money(r.AmountMinor, r.Currency),
			Status:          txnBadge(r.Status),
			Result:          resultText(r.ResultStatus, r.ResultCode, r.ResultMessage),
			Reason:          r.Reason,
			Time:            stampOf(firstTime(r.RefundedAt, r.CreatedAt), now),
			Actor:           r.Actor,
			ARN:             r.ARN,
			RRN:             r.RRN,
			Settlement:      settlementText(r.Details.Settlement),
		})
	}
	return rows
}

// timeline merges the payment's events with its deliveries, oldest first.
// A notification event and the delivery it came from become one entry that
// carries the delivery's verdict and outcome; deliveries without an event
// (duplicates, rejected signatures) get their own entry. With redact, buyer
// and card fields of the events' details are hidden. Times are shown at now.
// omittedEntry puts a line saying how many older events are not shown
// before the timeline, when the store left some out (store.TimelineLimit).
func omittedEntry(omitted int, entries []pages.TimelineEntry) []pages.TimelineEntry {
	if omitted == 0 {
		return entries
	}
	return append([]pages.TimelineEntry{{Key: "omitted", Kind: "omitted", Label: "earlier events",
		Summary: strconv.Itoa(omitted) + " earlier timeline events are not shown; the notifications page lists every delivery."}}, entries...)
}

func timeline(events []store.Event, deliveries []store.Delivery, redact bool, now time.Time) []pages.TimelineEntry {
	byID := make(map[int64]*store.Delivery, len(deliveries))
	for i := range deliveries {
		byID[deliveries[i].ID] = &deliveries[i]
	}
	type item = timelineItem
	items := make([]item, 0, len(events)+len(deliveries))
	used := map[int64]bool{}
	for i, e := range events {
		label, tone := timelineKind(&e)
		en := pages.TimelineEntry{
			Key:     "ev-" + strconv.FormatInt(e.ID, 10),
			Kind:    string(e.Kind),
			Label:   label,
			Tone:    tone,
			At:      stampOf(e.At, now),
			Actor:   e.Actor,
			Summary: localTimes(e.Summary, now),
		}
		if dl, ok := byID[e.DeliveryID]; ok && e.DeliveryID != 0 {
			used[dl.ID] = true
			en.Badges = []pages.Badge{verdictBadge(dl.Verdict), outcomeBadge(dl.Outcome)}
			en.DeliveryURL = paths.Notification(dl.ID)
		} else if e.DeliveryID != 0 {
			en.DeliveryURL = paths.Notification(e.DeliveryID)
		}
		it := item{at: e.At, order: i, entry: en, detail: e.Detail}
		if e.Kind == store.EventInquiry {
			it.foldKey = e.Actor + "\x00" + attemptNumber.ReplaceAllString(e.Summary, "")
			it.result = inquiryResult(&e)
		}
		items = append(items, it)
	}
	for i, dl := range deliveries {
		if used[dl.ID] {
			continue
		}
		items = append(items, item{at: dl.ReceivedAt, order: len(events) + i, entry: pages.TimelineEntry{
			Key:         "dl-" + strconv.FormatInt(dl.ID, 10),
			Kind:        "notification",
			Label:       "notification",
			At:          stampOf(dl.ReceivedAt, now),
			Actor:       "antom",
			Summary:     deliverySummary(&dl),
			Badges:      []pages.Badge{verdictBadge(dl.Verdict), outcomeBadge(dl.Outcome)},
			DeliveryURL: paths.Notification(dl.ID),
		}})
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].at.Equal(items[j].at) {
			return items[i].at.Before(items[j].at)
		}
		return items[i].order < items[j].order
	})
	return foldTimeline(items, redact, now.Location())
}

// timelineItem is a timeline entry with what sorting and folding need.
type timelineItem struct {
	at    time.Time
	order int
	entry pages.TimelineEntry
	// foldKey is equal for inquiries that said the same thing (by the same
	// actor); "" for entries that never fold.
	foldKey string
	result  string // what a run of such inquiries all said: "PROCESSING"
	// detail is the event's detail as stored; only the entries a folded
	// run keeps are pretty-printed (the folded ones show no detail).
	detail []byte
}

// timelineFoldShown bounds the earlier entries a folded line lists.
const timelineFoldShown = 20

// attemptNumber is the part of an operation's inquiry summary that differs
// between otherwise identical attempts.
var attemptNumber = regexp.MustCompile(`\(attempt \d+\)`)

// foldTimeline folds each run of consecutive identical inquiries into its
// latest entry, which says how many there were, over what time, and lists
// the most recent earlier ones (at most timelineFoldShown) on demand: a
// payment polled every 3 s keeps a timeline people can read. Only the
// entries shown whole get their detail (redacted with redact) and standout.
// The run's time range is in loc, the viewer's zone.
func foldTimeline(items []timelineItem, redact bool, loc *time.Location) []pages.TimelineEntry {
	out := make([]pages.TimelineEntry, 0, len(items))
	for i := 0; i < len(items); {
		j := i + 1
		for items[i].foldKey != "" && j < len(items) && items[j].foldKey == items[i].foldKey {
			j++
		}
		last := items[j-1].entry
		if d := items[j-1].detail; len(d) > 0 {
			if redact {
				d = redactJSON(d)
			}
			last.Detail = detailText(d)
		}
		last.Standout = timelineStandsOut(&last)
		if n := j - i; n > 1 {
			last.Fold = fmt.Sprintf("%d inquiries %s, all %s", n, timeRange(items[i].at, items[j-1].at, loc), items[j-1].result)
			for k := j - 2; k >= i && len(last.Folded) < timelineFoldShown; k-- {
				last.Folded = append(last.Folded, items[k].entry)
			}
			if more := n - 1 - len(last.Folded); more > 0 {
				last.FoldedMore = plural(more, "earlier inquiry not listed", "earlier inquiries not listed")
			}
		}
		out = append(out, last)
		i = j
	}
	return out
}

// timeRange is "12:00:03–12:00:39 +08" within a day in loc (the viewer's
// zone), with dates otherwise; the zone's abbreviation is the end's (a
// range across a DST change names both).
func timeRange(from, to time.Time, loc *time.Location) string {
	loc = components.Zone(loc)
	from, to = from.In(loc), to.In(loc)
	fz, tz := from.Format("MST"), to.Format("MST")
	if fz != tz {
		return from.Format(components.TimeLayout) + "–" + to.Format(components.TimeLayout)
	}
	if from.Format(time.DateOnly) == to.Format(time.DateOnly) {
		return from.Format(time.TimeOnly) + "–" + to.Format(time.TimeOnly) + " " + tz
	}
	return from.Format(time.DateTime) + "–" + to.Format(time.DateTime) + " " + tz
}

// inquiryResult is what an inquiry event said, in a word where it can be:
// Antom's paymentStatus ("PROCESSING"), else the summary without its
// "Inquiry: " or "Inquiry failed: " lead ("failed: U UNKNOWN_EXCEPTION").
func inquiryResult(e *store.Event) string {
	var d struct {
		PaymentStatus string `json:"paymentStatus"`
	}
	_ = json.Unmarshal(e.Detail, &d) // another shape falls back to the summary
	if d.PaymentStatus != "" {
		return d.PaymentStatus
	}
	s := attemptNumber.ReplaceAllString(e.Summary, "")
	if rest, ok := strings.CutPrefix(s, "Inquiry failed: "); ok {
		return "failed: " + rest
	}
	if rest, ok := strings.CutPrefix(s, "Inquiry: "); ok {
		return rest
	}
	return strings.Join(strings.Fields(s), " ")
}

// timelineStandsOut reports whether an entry is one of the story's turns
// (a state change, a notification, a staff action, an SDK event, a raised
// flag, an operation's end) rather than routine polling.
func timelineStandsOut(e *pages.TimelineEntry) bool {
	switch store.EventKind(e.Kind) {
	case store.EventNotification, store.EventStaffAction, store.EventSDK, store.EventOperation,
		store.EventSessionCreated, store.EventSessionFailed, store.EventSessionUnknown, store.EventExpired, store.EventCreated:
		return true
	case store.EventFlag:
		return e.Tone != ""
	case store.EventInquiry:
		return inquiryChangedState(e.Detail)
	}
	return false
}

// inquiryChangedState reports whether an inquiry's detail records a status
// change (its "from" and "to" differ).
func inquiryChangedState(detail string) bool {
	var d struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if json.Unmarshal([]byte(detail), &d) != nil {
		return false
	}
	return d.To != "" && d.From != d.To
}

// timelineKind names an event's kind as people read it, and the tone of
// its dot: an operation's end reads "operation confirmed" (or "refused"),
// the answer to one of our calls "Antom's answer".
func timelineKind(e *store.Event) (string, pages.Tone) {
	switch e.Kind {
	case store.EventOperation:
		var d struct {
			State store.OpState `json:"state"`
		}
		_ = json.Unmarshal(e.Detail, &d) // another shape reads as a plain "operation"
		switch d.State {
		case store.OpSucceeded:
			return "operation confirmed", pages.ToneOK
		case store.OpFailed:
			return "operation refused", pages.ToneBad
		}
		return "operation", ""
	case store.EventAPIResponse:
		return "Antom's answer", ""
	case store.EventStaffAction:
		return "staff action", ""
	case store.EventSessionCreated:
		return "session created", ""
	case store.EventSessionFailed:
		return "session failed", pages.ToneBad
	case store.EventSessionUnknown:
		return "session outcome unknown", pages.ToneWarn
	case store.EventSDK:
		return "SDK event", ""
	case store.EventFlag:
		var d struct {
			Set []string `json:"set"` // the flags raised
		}
		_ = json.Unmarshal(e.Detail, &d) // another shape reads as a plain "flag"
		if len(d.Set) > 0 {
			return "flag raised", pages.ToneWarn
		}
		return "flag", ""
	}
	return strings.ReplaceAll(string(e.Kind), "_", " "), ""
}

// deliverySummary describes a delivery in one line.
func deliverySummary(d *store.Delivery) string {
	s := d.NotifyType
	if s == "" {
		s = "notification"
	}
	if r := resultText(d.ResultStatus, d.ResultCode, ""); r != "" {
		s += " " + r
	}
	if d.DuplicateOf != 0 {
		s += ", duplicate of delivery " + strconv.FormatInt(d.DuplicateOf, 10)
	}
	return s
}

// firstTime returns the first non-zero time.
func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func sandboxLabel(sandbox bool) string {
	if sandbox {
		return "sandbox"
	}
	return "live"
}

// joinNonEmpty joins the non-empty strings with " / ".
func joinNonEmpty(ss ...string) string {
	out := ""
	for _, s := range ss {
		if s == "" {
			continue
		}
		if out != "" {
			out += " / "
		}
		out += s
	}
	return out
}
