package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"paydesk/store"
	"paydesk/views/paths"
)

// ---- search by part of an ID (issue 11) ----

// partModes are the searches that are not an exact ID as stored: an ID
// typed loosely (exact after normalizing), a prefix, fragments, and a
// card's last four alone and narrowed by a day.
var partModes = []string{"typed loosely", "prefix", "fragment", "fragment, two runs", "fragment, many matches", "card last four", "card last four + day"}

// twoRunNumbers are the seeded payments whose number is one digit repeated
// (7, 77, 777…): their paymentId ends in one run of zeros and one of that
// digit, a fragment with nothing whole between its runs, whose plain
// trigrams ("000", "007") nearly every key holds.
func twoRunNumbers(settled int) []int {
	var out []int
	for d := 1; d <= 9; d++ {
		for n := d; n < settled; n = n*10 + d {
			out = append(out, n)
		}
	}
	return out
}

// partQuery is the query of mode for seeded payment p, and whether the
// answer must show p (the capped modes show the first matches only).
func partQuery(f *store.Fixture, p store.FixturePayment, mode string) (q url.Values, mustShow bool) {
	switch mode {
	case "typed loosely": // "ord-tag-000012345" → ORD-tag-000012345, dash dropped
		return url.Values{"q": {strings.Replace(strings.ToLower(p.ReferenceOrderID), "-", " ", 1)}}, true
	case "prefix": // the paymentRequestId without its last digit, upper case: 10 payments
		return url.Values{"q": {strings.ToUpper(p.PaymentRequestID[:len(p.PaymentRequestID)-1])}}, true
	case "fragment": // the paymentId without its first 4 and last 1 characters: about 10 payments
		id := p.PaymentID
		return url.Values{"q": {id[4 : len(id)-1]}}, true
	case "fragment, two runs": // the paymentId's zero-padded number, "00000000000000000077": one payment
		return url.Values{"q": {p.PaymentID[4+len(f.Tag):]}}, true
	case "fragment, many matches": // 5 characters of the seeding tag: every payment, capped
		return url.Values{"q": {"a" + f.Tag[:4]}}, false
	case "card last four":
		return url.Values{"q": {"0768"}}, false
	case "card last four + day":
		return url.Values{"q": {"0768"}, "on": {p.CreatedAt.Format(time.DateOnly)}}, false
	}
	return nil, false
}

// partResult: per mode, the server time of the search answer.
type partResult struct {
	perMode map[string]latencies
	misses  map[string]int // answers that did not show the payment searched for
}

// searchByPart runs n searches of each mode for random settled payments.
func searchByPart(ctx context.Context, s *staff, f *store.Fixture, n int) (partResult, error) {
	r := rand.New(rand.NewPCG(13, 17))
	settled := f.Spec.Payments - f.Spec.Open
	res := partResult{perMode: map[string]latencies{}, misses: map[string]int{}}
	twoRuns := twoRunNumbers(settled)
	for _, mode := range partModes {
		var took []time.Duration
		for i := 0; i < n; i++ {
			var p store.FixturePayment
			// A payment whose paymentId is stored (idOf), and for the card
			// modes one paid by card.
			for idOf(p, "paymentId") == "" || (strings.HasPrefix(mode, "card") && p.Status != store.StatusSuccess) {
				if mode == "fragment, two runs" && len(twoRuns) > 0 {
					p = f.Payment(twoRuns[r.IntN(len(twoRuns))])
					continue
				}
				p = f.Payment(r.IntN(max(1, settled)))
			}
			q, mustShow := partQuery(f, p, mode)
			resp, body, d, err := s.get(ctx, paths.Payments+"?"+q.Encode(), nil)
			if err != nil {
				return res, err
			}
			switch {
			case resp.StatusCode == http.StatusSeeOther && mode == "typed loosely":
				// The order has two attempts: one opens only if the other is gone.
				if !strings.HasPrefix(resp.Header.Get("Location"), paths.Payment("")) {
					res.misses[mode]++
				}
			case resp.StatusCode != http.StatusOK:
				return res, fmt.Errorf("search %s %q: status %d", mode, q.Encode(), resp.StatusCode)
			case mustShow && !strings.Contains(body, p.PaymentRequestID):
				res.misses[mode]++
			}
			took = append(took, d)
		}
		res.perMode[mode] = summarize(took)
	}
	return res, nil
}
