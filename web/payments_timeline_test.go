package web

// The timeline tells the story: runs of identical inquiries fold into one
// line with their count and time range, the latest entry kept visible.

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/store"
	"paydesk/views/paths"
)

func TestTimelineFoldsIdenticalInquiries(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	const n = 20
	for i := range n {
		if res, body := op.post(paths.PaymentInquiry(id), nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("inquiry %d: status %d, want 303\n%s", i+1, res.StatusCode, body)
		}
	}
	var inquiries []store.Event
	for _, e := range app.payment(id).Timeline {
		if e.Kind == store.EventInquiry {
			inquiries = append(inquiries, e)
		}
	}
	if len(inquiries) != n {
		t.Fatalf("%d inquiry events stored, want %d", len(inquiries), n)
	}
	first, last := inquiries[0], inquiries[n-1]
	for _, e := range inquiries {
		if e.Summary != last.Summary {
			t.Fatalf("inquiry summaries differ (%q, %q); the test needs identical answers", e.Summary, last.Summary)
		}
	}

	page := op.page(paths.Payment(id))
	shown := timelineEntries(page, "inquiry")
	if len(shown) != 1 {
		t.Fatalf("%d inquiry lines on the timeline, want 1 folded line", len(shown))
	}
	line := &doc{t: t, root: shown[0]}
	if got, want := attrOf(shown[0], "id"), "ev-"+strconv.FormatInt(last.ID, 10); got != want {
		t.Errorf("the folded line is entry %q, want the latest inquiry %q", got, want)
	}
	if got := line.text("timeline-summary"); got != last.Summary {
		t.Errorf("the folded line reads %q, want the latest summary %q", got, last.Summary)
	}
	wantRange := first.At.UTC().Format(time.TimeOnly) + "–" + last.At.UTC().Format(time.TimeOnly) + " UTC"
	if first.At.UTC().Format(time.DateOnly) != last.At.UTC().Format(time.DateOnly) {
		wantRange = first.At.UTC().Format(time.DateTime) + "–" + last.At.UTC().Format(time.DateTime) + " UTC"
	}
	fold := line.text("timeline-fold-summary")
	if want := "20 inquiries " + wantRange + ", all "; !strings.HasPrefix(fold, want) || len(fold) == len(want) {
		t.Errorf("fold line %q, want it to start %q and say what they all answered", fold, want)
	}
	if got := len(line.testIDs("timeline-folded-entry")); got != n-1 {
		t.Errorf("%d earlier inquiries listed under the fold, want %d", got, n-1)
	}
	if strings.Contains(attrOf(shown[0], "class"), "tl-standout") {
		t.Errorf("routine inquiries stand out: class %q", attrOf(shown[0], "class"))
	}
	staff := timelineEntries(page, "session_created")
	if len(staff) != 1 || !strings.Contains(attrOf(staff[0], "class"), "tl-standout") {
		t.Errorf("the session's creation does not stand out on the timeline")
	}
}
