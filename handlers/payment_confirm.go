package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
)

// askConfirmation renders the payment page with the action's confirmation
// panel (its form in forms has Confirming set). A money POST without the
// confirmation field ends here: nothing changes.
func (h *Handlers) askConfirmation(c echo.Context, id string, forms paymentForms) error {
	return h.actionFailed(c, id, http.StatusOK, forms)
}

// preflight checks a capture or refund of minor against what the payment
// allows now (store.Allowed; refusal is the action's, avail how much is
// left), as the store checks again on submit, so a confirmation is never
// asked for an action that cannot go through. It returns the inline error
// for the amount or for the form, and the status to answer with.
func preflight(refusal string, avail, minor int64, currency, verb string) (amountErr, formErr string, status int) {
	switch {
	case refusal != "":
		return "", sentence(refusal), http.StatusConflict
	case minor <= 0:
		return sentence("must be greater than zero"), "", http.StatusUnprocessableEntity
	case minor > avail:
		return sentence(fmt.Sprintf("exceeds what can still be %s (%s %s)", verb, antom.FormatMinor(avail, currency), currency)), "",
			http.StatusUnprocessableEntity
	}
	return "", "", 0
}
