package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// NotificationBodyDownload handles the "GET /notifications/:id/body" route:
// the delivery's stored body as a download, for a body the page shows cut
// short or not pretty-printed. Roles with the buyer-data permission get the
// bytes as stored; the others get the body redacted as the page shows it.
func (h *Handlers) NotificationBodyDownload(c echo.Context) error {
	d, err := h.delivery(c)
	if err != nil {
		return err
	}
	body, name := d.Body, "delivery-"+strconv.FormatInt(d.ID, 10)+"-body"
	if !can(currentUser(c), PermViewBuyerData) {
		body, name = redactJSON(d.Body), name+"-redacted.json"
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, echo.MIMEOctetStream, body)
}

// noteCuts says on the delivery page what is not shown whole: a refused
// delivery kept summarised, a body past the pretty-printer's bounds
// (refused says which), raw text cut short (cut); the download is offered
// whenever the page does not show the stored body whole.
func (h *Handlers) noteCuts(vm *pages.DeliveryPage, d *store.Delivery, refused string, cut bool) {
	keep := "Refused deliveries (not accepted as Antom's) are deleted after " + durationWords(h.Webhook.RefusedRetention) + "."
	if d.Summarised {
		vm.BodyNotes = append(vm.BodyNotes, "Refused delivery, kept summarised: at most the first "+byteSize(store.RefusedBodyBudget)+
			" of its body and "+byteSize(store.RefusedHeadersBudget)+" of its headers are stored; the size and SHA-256 above are of the whole body. "+keep)
	} else if d.Refused {
		vm.BodyNotes = append(vm.BodyNotes, keep)
	}
	if d.Refused && d.HeadersSize > store.RefusedHeadersBudget {
		vm.HeadersNote = byteSize(int(d.HeadersSize)) + " of headers were received (as JSON); the ones shown are those that fit in " +
			byteSize(store.RefusedHeadersBudget) + ", Antom's first, with long values shortened (…)."
	}
	if refused != "" {
		vm.BodyNotes = append(vm.BodyNotes, "Not pretty-printed: the body is "+refused+".")
	}
	if cut {
		vm.BodyNotes = append(vm.BodyNotes, "Only the first "+byteSize(rawShown)+" of the "+byteSize(len(d.Body))+" stored are shown.")
	}
	if refused != "" || cut {
		vm.BodyURL = paths.NotificationBody(d.ID)
	}
}

// bodyFacts is the size and SHA-256 of the body as received.
func bodyFacts(d *store.Delivery) string {
	s := byteSize(int(d.BodySize))
	if d.BodySHA256 != "" {
		s += " · SHA-256 " + d.BodySHA256
	}
	return s
}

// skewText says how far the request-time header was from the receipt, or
// why it could not be read; "" without the header.
func skewText(d *store.Delivery) string {
	switch {
	case d.RequestTimeError != "":
		return "not readable: " + d.RequestTimeError
	case !d.RequestSkewKnown:
		return ""
	case d.RequestSkew < 0:
		return "received " + d.RequestSkew.Abs().Round(time.Millisecond).String() + " before it (request-time is ahead of this server's clock)"
	}
	return "received " + d.RequestSkew.Round(time.Millisecond).String() + " after it"
}

// durationWords says a retention period: "7 days", "36h0m0s".
func durationWords(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		if n := int(d / (24 * time.Hour)); n != 1 {
			return strconv.Itoa(n) + " days"
		}
		return "1 day"
	}
	return d.String()
}

// droppedText says how many refused deliveries were not stored (rate
// limited) in the retention period, and from which sources; "" when none.
func (h *Handlers) droppedText(st *store.RefusedDropStats) string {
	if st == nil || st.Total == 0 {
		return ""
	}
	were := " refused deliveries were"
	if st.Total == 1 {
		were = " refused delivery was"
	}
	s := groupInt(st.Total) + were + " not stored in the last " + durationWords(h.Webhook.RefusedRetention) +
		" (too many from one address, or from all); only counted, never shown. From "
	for i, d := range st.Top {
		if i > 0 {
			s += ", "
		}
		src := d.Source
		if src == store.DropSourceOther {
			src = "other addresses"
		}
		s += src + " (" + groupInt(d.Count) + ")"
	}
	if more := st.Sources - len(st.Top); more == 1 {
		s += " and 1 more source"
	} else if more > 1 {
		s += " and " + strconv.Itoa(more) + " more sources"
	}
	return s + "."
}
