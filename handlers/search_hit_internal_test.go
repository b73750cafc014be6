package handlers

import (
	"strings"
	"testing"

	"paydesk/views/pages"
)

// A capture a search matched stays marked when the live region refreshes:
// its poll URL carries the highlight, and the rows match loosely typed IDs.
func TestMarkSearchHitKeepsTheHighlightLive(t *testing.T) {
	live := pages.PaymentLive{
		PollURL:  "/payments/p1/live?v=3",
		Captures: []pages.CaptureRow{{CaptureRequestID: "cap-A1"}, {CaptureRequestID: "cap-B2", CaptureID: "2026120419401"}},
		Refunds:  []pages.RefundRow{{RefundRequestID: "ref-1"}},
	}
	markSearchHit(&live, "CAP B2")
	if !strings.HasSuffix(live.PollURL, "&highlight=CAP+B2") {
		t.Errorf("poll URL %q does not carry the highlight", live.PollURL)
	}
	if live.Captures[0].Highlighted || !live.Captures[1].Highlighted || live.Refunds[0].Highlighted {
		t.Errorf("marked %v %v %v, want only the second capture", live.Captures[0].Highlighted, live.Captures[1].Highlighted, live.Refunds[0].Highlighted)
	}
	final := pages.PaymentLive{Captures: []pages.CaptureRow{{CaptureID: "x1"}}}
	markSearchHit(&final, "x1")
	if final.PollURL != "" || !final.Captures[0].Highlighted {
		t.Errorf("a final payment: poll URL %q, highlighted %v", final.PollURL, final.Captures[0].Highlighted)
	}
}
