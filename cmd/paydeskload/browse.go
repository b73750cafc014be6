package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
)

// staff is a signed-in browser: a cookie jar, redirects not followed.
// With several servers each request goes to the next one in turn (a
// round-robin load balancer); they share the database and the session key,
// and a cookie jar keys cookies by host, not port, so one session serves.
type staff struct {
	base  string // the first server: where cookies are read for
	bases []string
	next  atomic.Uint64
	c     *http.Client
	// serverTimed is false once a response came without Server-Timing:
	// then the client-side time stands in.
	serverTimed bool
}

func login(ctx context.Context, bases []string, email, password string) (*staff, error) {
	jar, _ := cookiejar.New(nil)
	s := &staff{base: bases[0], bases: bases, serverTimed: true, c: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	if _, _, _, err := s.get(ctx, paths.Login, nil); err != nil { // sets the CSRF cookie
		return nil, err
	}
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {s.csrf()}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.pick()+paths.Login, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("login as %s: status %d, want 303 (check -email and -password)", email, res.StatusCode)
	}
	if _, _, _, err := s.get(ctx, res.Header.Get("Location"), nil); err != nil { // the new session's CSRF token
		return nil, err
	}
	return s, nil
}

// pick is the server for the next request.
func (s *staff) pick() string {
	return s.bases[(s.next.Add(1)-1)%uint64(len(s.bases))]
}

func (s *staff) csrf() string {
	u, _ := url.Parse(s.base)
	for _, c := range s.c.Jar.Cookies(u) {
		if c.Name == handlers.CSRFCookieName(false) {
			return c.Value
		}
	}
	return ""
}

// get fetches a path and returns the response, its body, and the server
// time (Server-Timing app;dur), or the client-side time without the header.
func (s *staff) get(ctx context.Context, path string, header http.Header) (*http.Response, string, time.Duration, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.pick()+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	t0 := time.Now()
	res, err := s.c.Do(req)
	if err != nil {
		return nil, "", 0, fmt.Errorf("GET %s: %w", path, err)
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	_, err = buf.ReadFrom(res.Body)
	res.Body.Close()
	took := time.Since(t0)
	body := buf.String()
	if buf.Cap() <= 4<<20 {
		bodyBuffers.Put(buf)
	}
	if err != nil {
		return nil, "", 0, fmt.Errorf("GET %s: %w", path, err)
	}
	if d, ok := serverTime(res.Header.Get("Server-Timing")); ok {
		took = d
	} else {
		s.serverTimed = false
	}
	return res, body, took, nil
}

// bodyBuffers keep the buffers answers are read into: io.ReadAll grew a
// new one for every page (about twice its size), garbage that in-process
// runs the server's collector too. It was a small part of it: 38 → 35
// collections during the 2,100 searches by part of an ID (issue 14).
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// serverTime reads "app;dur=<ms>" from a Server-Timing header.
func serverTime(h string) (time.Duration, bool) {
	for _, m := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(m), ";")
		if name != "app" {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "dur="); ok {
				f, err := strconv.ParseFloat(v, 64)
				return time.Duration(f * float64(time.Millisecond)), err == nil
			}
		}
	}
	return 0, false
}

// ---- search ----

// idKinds are the IDs a support agent pastes.
var idKinds = []string{"paymentRequestId", "paymentId", "referenceOrderId", "buyerId", "captureId"}

func idOf(p store.FixturePayment, kind string) string {
	switch kind {
	case "paymentRequestId":
		return p.PaymentRequestID
	case "paymentId":
		if p.Status == store.StatusExpired || p.Status == store.StatusSessionFailed {
			return ""
		}
		return p.PaymentID
	case "referenceOrderId":
		return p.ReferenceOrderID
	case "buyerId":
		return p.BuyerID
	case "captureId":
		if p.Status != store.StatusSuccess {
			return ""
		}
		return p.CaptureID
	}
	return ""
}

// searchResult: per search, the server time of the answer (303 to the
// detail page, or the list of matches) and of the page it leads to.
type searchResult struct {
	answer, withPage latencies // the search request; plus the detail page it redirects to
	detail           latencies // the detail pages alone
	perKind          map[string]latencies
	misses           int // searches whose answer did not show the payment
}

// searchByID searches n times for a random seeded payment by each kind of
// ID in turn, through GET /payments?q=, and follows an exact hit's redirect.
func searchByID(ctx context.Context, s *staff, f *store.Fixture, n int) (searchResult, error) {
	r := rand.New(rand.NewPCG(7, 11))
	settled := f.Spec.Payments - f.Spec.Open // notifications may still change the open ones
	var answer, withPage, detail []time.Duration
	kinds := map[string][]time.Duration{}
	res := searchResult{}
	for i := 0; i < n; i++ {
		kind := idKinds[i%len(idKinds)]
		var p store.FixturePayment
		var id string
		for id == "" {
			p = f.Payment(r.IntN(max(1, settled)))
			id = idOf(p, kind)
		}
		resp, body, took, err := s.get(ctx, paths.PaymentsSearch(id), nil)
		if err != nil {
			return res, err
		}
		total := took
		switch resp.StatusCode {
		case http.StatusSeeOther:
			loc := resp.Header.Get("Location")
			// A capture ID opens the payment with the capture highlighted
			// (?highlight=…#capture-N).
			if page, _, _ := strings.Cut(loc, "?"); page != paths.Payment(p.PaymentRequestID) {
				res.misses++
			}
			dres, dbody, dtook, err := s.get(ctx, loc, nil)
			if err != nil {
				return res, err
			}
			if dres.StatusCode != http.StatusOK || !strings.Contains(dbody, p.PaymentRequestID) {
				return res, fmt.Errorf("detail page %s: status %d", loc, dres.StatusCode)
			}
			detail = append(detail, dtook)
			total += dtook
		case http.StatusOK:
			if !strings.Contains(body, p.PaymentRequestID) {
				res.misses++
			}
		default:
			return res, fmt.Errorf("search %s %q: status %d", kind, id, resp.StatusCode)
		}
		answer = append(answer, took)
		withPage = append(withPage, total)
		kinds[kind] = append(kinds[kind], total)
	}
	res.answer, res.withPage, res.detail = summarize(answer), summarize(withPage), summarize(detail)
	res.perKind = map[string]latencies{}
	for k, v := range kinds {
		res.perKind[k] = summarize(v)
	}
	return res, nil
}

// ---- live polls ----

var (
	liveVersionRE = regexp.MustCompile(`live\?v=(\d+)`)
	listSinceRE   = regexp.MustCompile(`since=(\d+)`)
)

// pollResult is the unchanged live polls' server time and CPU.
type pollResult struct {
	detail, list     latencies
	not204           int
	cpuPerDetailPoll time.Duration // 0 when not measured
	cpuHow           string
}

// livePolls polls the detail page of in-flight seeded payments (PROCESSING:
// not final) and the list's first page, both unchanged, as htmx does.
func livePolls(ctx context.Context, s *staff, f *store.Fixture, n int) (pollResult, []string, error) {
	var res pollResult
	htmx := http.Header{"Hx-Request": {"true"}, "X-Csrf-Token": {s.csrf()}}
	var urls []string
	settled := f.Spec.Payments - f.Spec.Open
	for k := 0; k < 50; k++ {
		// Spread over the table; the next PROCESSING one at or after the spot.
		i := k * settled / 50
		for i < settled && f.Payment(i).Status != store.StatusProcessing {
			i++
		}
		if i >= settled {
			continue
		}
		p := f.Payment(i)
		_, body, _, err := s.get(ctx, paths.Payment(p.PaymentRequestID), nil)
		if err != nil {
			return res, nil, err
		}
		m := liveVersionRE.FindStringSubmatch(body)
		if m == nil {
			return res, nil, fmt.Errorf("detail page of %s has no live poll URL", p.PaymentRequestID)
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		urls = append(urls, paths.PaymentLive(p.PaymentRequestID, v))
	}
	if len(urls) == 0 {
		return res, nil, fmt.Errorf("no in-flight payment to poll (seed more payments)")
	}
	var detail, list []time.Duration
	for i := 0; i < n; i++ {
		resp, _, took, err := s.get(ctx, urls[i%len(urls)], htmx)
		if err != nil {
			return res, nil, err
		}
		if resp.StatusCode != http.StatusNoContent {
			res.not204++
			continue
		}
		detail = append(detail, took)
	}
	since := ""
	for i := 0; i < n/2; i++ {
		if since == "" {
			_, body, _, err := s.get(ctx, paths.Payments, nil)
			if err != nil {
				return res, nil, err
			}
			m := listSinceRE.FindStringSubmatch(body)
			if m == nil {
				return res, nil, fmt.Errorf("the payments list has no live poll URL")
			}
			since = m[1]
		}
		resp, _, took, err := s.get(ctx, paths.Payments+"?since="+since, htmx)
		if err != nil {
			return res, nil, err
		}
		if resp.StatusCode != http.StatusNoContent {
			res.not204++
			since = "" // something changed (a background job): take the new sequence
			continue
		}
		list = append(list, took)
	}
	res.detail, res.list = summarize(detail), summarize(list)
	return res, urls, nil
}

// pollCPUInProcess is the process CPU time per unchanged detail poll, sent
// straight to the router (no TCP, no HTTP parsing) with the staff cookies:
// middleware, session, the indexed read and the 204. Run it while nothing
// else is busy; the process's own idle work is included, so it is an upper bound.
func pollCPUInProcess(ctx context.Context, h http.Handler, s *staff, urls []string, n int) (time.Duration, error) {
	u, _ := url.Parse(s.base)
	cookies := s.c.Jar.Cookies(u)
	reqs := make([]*http.Request, len(urls))
	for i, p := range urls {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, s.base+p, nil)
		req.RemoteAddr = "127.0.0.1:50000"
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", s.csrf())
		for _, c := range cookies {
			req.AddCookie(c)
		}
		reqs[i] = req
	}
	w := &discardWriter{h: http.Header{}}
	for i := 0; i < 200; i++ { // warm up
		h.ServeHTTP(w.reset(), reqs[i%len(reqs)])
	}
	before := selfCPU()
	for i := 0; i < n; i++ {
		h.ServeHTTP(w.reset(), reqs[i%len(reqs)])
		if w.status != http.StatusNoContent {
			return 0, fmt.Errorf("poll %s: status %d, want 204", urls[i%len(urls)], w.status)
		}
	}
	return (selfCPU() - before) / time.Duration(n), nil
}

// discardWriter is an http.ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) reset() *discardWriter {
	clear(w.h)
	w.status = 0
	return w
}
func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
