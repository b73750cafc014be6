package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// RouteSDKEventCodes names the reference page's route.
const RouteSDKEventCodes = "reference.sdk_events" // GET /reference/sdk-events

// eventCodeGroups are the reference page's tables, in order.
var eventCodeGroups = []struct {
	kind         antom.SDKCodeKind
	title, intro string
}{
	{antom.SDKKindResult, "Payment results", "What onEventCallback reports after the buyer submitted (or left) the checkout. For display only: the final status is the server's."},
	{antom.SDKKindForm, "Form errors", "The card form refused what the buyer typed; nothing reached Antom."},
	{antom.SDKKindStatus, "Status codes", "Returned by onEventCallback during the component's runtime lifecycle."},
	{antom.SDKKindError, "Error codes", "Returned by onEventCallback or onError during the component's initialization: the buyer never reached the card form."},
}

// EventCodes handles the "GET /reference/sdk-events" route: each SDK status
// and error code from the seed with its meaning, the recommended action and
// what Paydesk does with it, and the disagreement flags explained.
func (h *Handlers) EventCodes(c echo.Context) error {
	vm := pages.EventCodesPage{Flags: FlagExplanations(allFlags()), APIURL: paths.APIOpenAPI}
	codes := store.SDKCodes()
	for _, g := range eventCodeGroups {
		grp := pages.EventCodeGroup{Key: string(g.kind), Title: g.title, Intro: g.intro}
		for _, sc := range codes {
			if sc.Kind == g.kind {
				grp.Rows = append(grp.Rows, pages.EventCodeRow{Code: sc.Code, Meaning: sc.Meaning, Action: sc.Action, Paydesk: sc.Paydesk})
			}
		}
		vm.Groups = append(vm.Groups, grp)
	}
	return render(c, http.StatusOK, pages.EventCodes(h.page(c, "SDK event codes", layout.NavSDKCodes), vm))
}
