package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// RouteFailureReasons names the reference page's route.
const RouteFailureReasons = "reference.failure_reasons" // GET /reference/failure-reasons

// failureReasonGroups are the reference page's tables, in store.ReasonKinds
// order.
var failureReasonGroups = map[store.ReasonKind]struct{ title, intro string }{
	store.ReasonState:   {"Situations", "What Paydesk says when no single code does: nobody paid, a session expired, a cancel."},
	store.ReasonResult:  {"Antom result codes", "The resultCode of Antom's answer or notification (paymentResultCode in an inquiry), from every API and notification."},
	store.ReasonRefusal: {"Issuer refusal reasons", "The card issuer's own answer in paymentResultInfo.refusalReasonRaw: an ISO 8583 response code, read from the start of the text (\"05 Do not honor\"). More precise than Antom's code for a decline."},
	store.ReasonAdvice:  {"Mastercard merchant advice codes", "paymentResultInfo.merchantAdviceCode: the issuer's instruction on retrying. It decides whether to try again; Mastercard charges for retries it advised against."},
	store.ReasonSDK:     {"SDK event codes", "What the app's last SDK event says about a payment that did not go through. The server's result is the truth; see the SDK codes page."},
}

// FailureReasons handles the "GET /reference/failure-reasons" route: the
// whole explanation table (store.Reasons) that the payment page and the app
// API explain failures with.
func (h *Handlers) FailureReasons(c echo.Context) error {
	var vm pages.FailureReasonsPage
	all := store.Reasons()
	for _, k := range store.ReasonKinds {
		g := failureReasonGroups[k]
		grp := pages.FailureReasonGroup{Key: string(k), Title: g.title, Intro: g.intro}
		for _, r := range all {
			if r.Kind != k {
				continue
			}
			retry := r.Retry.Text()
			if r.Retry == "" {
				retry = "No change (for information)"
			}
			grp.Rows = append(grp.Rows, pages.FailureReasonRow{
				ID: paths.FailureReasonAnchor(string(k), r.Code), Code: r.Code, Name: r.Name,
				StoppedBy: r.StoppedBy.Text(), Reason: r.Reason, CustomerMessage: r.CustomerMessage, Retry: retry,
			})
		}
		vm.Groups = append(vm.Groups, grp)
	}
	return render(c, http.StatusOK, pages.FailureReasons(h.page(c, "Decline and failure reasons", layout.NavFailureCodes), vm))
}

// failureView is the payment page's failure box for in; nil when the
// payment did not fail.
func failureView(in store.FailureInput) *pages.FailureView {
	e, ok := store.ExplainFailure(in)
	if !ok {
		return nil
	}
	f := &pages.FailureView{
		Code: e.Code, StoppedBy: e.StoppedBy.Text(), StoppedByKey: string(e.StoppedBy),
		Reason: e.Reason, CustomerMessage: e.CustomerMessage, Retry: e.Retry.Text(), RetryKey: string(e.Retry),
		Refusal: e.Refusal, AdviceCode: e.AdviceCode, AdviceMeaning: e.AdviceMeaning,
		CancelledBy: e.CancelledBy, Unknown: e.Unknown, Tone: failureTone(e.StoppedBy),
	}
	f.ReferenceURL = failureReference(e)
	return f
}

// failureReference links the explained code's row on the reference page.
func failureReference(e store.Explanation) string {
	for _, k := range []store.ReasonKind{store.ReasonResult, store.ReasonState} {
		if _, ok := store.LookupReason(k, e.Code); ok && !e.Unknown {
			return paths.FailureReason(string(k), e.Code)
		}
	}
	return paths.FailureReason(string(store.ReasonState), store.StateUnknown)
}

// failureTone is the box's tone: red when someone refused the payment,
// neutral when nobody paid or the merchant cancelled, warn otherwise.
func failureTone(s store.StoppedBy) pages.Tone {
	switch s {
	case store.StoppedByIssuer, store.StoppedByRisk, store.StoppedBy3DS:
		return pages.ToneBad
	case store.StoppedByBuyer, store.StoppedByMerchant, store.StoppedByClosedUnpaid, store.StoppedBySessionExpired:
		return pages.ToneNeutral
	}
	return pages.ToneWarn
}
