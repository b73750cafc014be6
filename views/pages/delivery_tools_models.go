package pages

// AttemptsView is one notification's deliveries matched to Antom's retry
// schedule (0, 2m, 10m, 10m, 1h, 2h, 6h, 15h).
type AttemptsView struct {
	Title   string // "PAYMENT_RESULT S SUCCESS"
	Summary string // "Acknowledged on attempt 3 of 8" / "Not acknowledged: next attempt expected …, 5 remaining"
	Tone    Tone
	Rows    []AttemptRow
}

// AttemptRow is one scheduled attempt or one unscheduled arrival.
type AttemptRow struct {
	N          string // "1" … "8", "–" for an unscheduled arrival
	Expected   Stamp
	State      Badge
	Arrived    Stamp
	URL        string // the delivery, when one arrived
	DeliveryID string
	Answer     string // "200 acknowledged", "500 not applied"
	Current    bool   // the delivery this page is about
}

// DiagnosisView says why a delivery's signature failed.
type DiagnosisView struct {
	Cause       string // machine form, for tests
	Verdict     string
	Variant     string   // the variant that verified, if any
	Tried       []string // every variant checked
	Fingerprint string   // SHA-256 of the configured Antom public key
	History     string   // "Every delivery since … has failed (12); the last verified one arrived …"
	// SignedText is the verifying variant's string-to-sign, byte for byte
	// (admins only).
	SignedText string
}

// ApplyAgainView is the form that applies a not-applied delivery again, or
// says who did.
type ApplyAgainView struct {
	Action    string // POST URL; "" when the user may not
	CSRFToken string
	Done      string // "Applied again by … at …"; "" while not
	Note      string // why it was not applied
}

// ApplyAgainBulkView is the notifications list's "apply again everything
// not applied since T" form.
type ApplyAgainBulkView struct {
	Count     string // "3 verified notifications could not be applied"
	Since     string // default value of the since field (in Zone, datetime-local form)
	Zone      string // the viewer's time zone, which Since is in
	Action    string
	CSRFToken string
	Result    string // the outcome of the last run, from the query
}
