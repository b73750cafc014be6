// Package sim is an offline Antom: a real HTTP server that speaks Antom's
// card-payment protocol (both /ams/api and /ams/sandbox/api paths of
// createPaymentSession, inquiryPayment, capture, cancel, refund and
// inquiryRefund), verifies the merchant's signatures and signs its answers,
// keeps the card lifecycle of a payment, serves a hosted test checkout that
// stands in for the client SDK, and sends signed notifications with Antom's
// retry schedule. Faults can be injected to test a merchant's resilience.
//
// It imports only the antom package. Section numbers in comments refer to
// shared/antom-protocol.md.
package sim

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"paydesk/antom"
)

// Lifecycle windows (sections 7 and 9).
const (
	// DefaultSessionExpiry is the life of a payment session unless the
	// request asks for less.
	DefaultSessionExpiry = time.Hour
	// DefaultOrderClose is how long an unpaid order stays open.
	DefaultOrderClose = 14 * time.Minute
	// AuthorizationWindow is how long an authorization can be captured or
	// cancelled.
	AuthorizationWindow = 7 * 24 * time.Hour
)

// Config configures a Simulator.
type Config struct {
	// ClientID is the merchant client ID the simulator accepts, e.g.
	// "SANDBOX_PAYDESK". Both path families are always served.
	ClientID string
	// MerchantPublicKey verifies the merchant's request signatures.
	MerchantPublicKey *rsa.PublicKey
	// Key is the simulator's ("Antom's") private key; it signs responses
	// and notifications.
	Key *rsa.PrivateKey
	// PublicURL is the base URL browsers use for the hosted checkout, e.g.
	// "http://127.0.0.1:8090". StartServer fills it from its listener when
	// empty; otherwise an empty PublicURL makes checkout URLs relative.
	PublicURL string
	// Clock is the source of simulated time; nil means real time.
	Clock Clock
	// HTTPClient sends notifications and SDK events; nil means a client
	// with a 10 s timeout.
	HTTPClient *http.Client
	// Logger receives the simulator's logs; nil discards them.
	Logger *slog.Logger
	// SDKEventURL, when set, is where the hosted checkout reports the SDK
	// event the buyer saw, as a merchant app would: a URL containing
	// "{paymentRequestId}", e.g.
	// "http://127.0.0.1:8080/api/v1/payments/{paymentRequestId}/sdk-events".
	// It is sent with the client secret the checkout was opened with (its
	// clientSecret parameter, or Card.ClientSecret) as "Authorization:
	// Bearer <secret>".
	SDKEventURL string
	// SDKEventAPIKey is the credential sent with SDK events when the
	// checkout was given no client secret; empty: such events are not
	// reported.
	SDKEventAPIKey string
	// DefaultNotifyURL stands in for the notification URL configured in
	// Antom's dashboard: it is used when a request carries no
	// paymentNotifyUrl (or refundNotifyUrl). Empty means no notification is
	// sent for such payments.
	DefaultNotifyURL string
	// OrderClose is how long an unpaid order stays open before it is closed
	// with a PAYMENT_RESULT F notification; 0 means DefaultOrderClose.
	OrderClose time.Duration
	// Location is the time zone of the datetimes the simulator writes;
	// nil means UTC-08:00, the offset of Antom's samples.
	Location *time.Location
	// Faults are the faults in force at start. They are not saved in
	// StateFile: each start takes them from here.
	Faults Faults
	// SettlementCurrency is the merchant's settlement currency (ISO 4217);
	// empty means DefaultSettlementCurrency. A session's
	// settlementStrategy.settlementCurrency wins. A payment in another
	// currency gets grossSettlementAmount and settlementQuote.
	SettlementCurrency string
	// StateFile, when set, is where the simulator keeps its state (sessions,
	// payments, captures, refunds, idempotency records, pending
	// notifications, the delivery log) across restarts: New loads it (a
	// missing file is a fresh start; a corrupt one is an error) and every
	// change is saved to it, atomically. Pending notifications resume with
	// their remaining schedule; simulated time never runs backwards (a
	// clock behind the saved time, as a restarted ScaledClock is, is moved
	// forward to it). Call Close when done.
	StateFile string
}

// Simulator is an offline Antom. Create it with New, serve Handler, and call
// Run for notifications and order closing; with a StateFile, call Close
// after Run has returned. It is safe for concurrent use.
type Simulator struct {
	cfg    Config
	clock  Clock
	http   *http.Client
	log    *slog.Logger
	loc    *time.Location
	public string // PublicURL without a trailing slash
	mux    *http.ServeMux
	tmpl   *template.Template

	mu         sync.Mutex
	faults     Faults
	payments   map[string]*payment // by paymentRequestId
	byID       map[string]*payment // by paymentId
	bySession  map[string]*payment // by paymentSessionData
	order      []*payment          // creation order
	captures   map[string]*capture // by captureId
	refunds    map[string]*refund  // by refundId
	refundsReq map[string]*refund  // by refundRequestId
	idem       map[string]idemEntry
	ids        map[string]bool // every generated ID, to keep them unique
	jobs       jobQueue
	deliveries map[string]*delivery
	attempts   []DeliveryAttempt
	seq        int
	wake       chan struct{}
	inflight   sync.WaitGroup

	gen   atomic.Uint64 // counts changes to save; see persist.go
	state *stateWriter  // nil without a StateFile
	enc   encCache      // guarded by mu
	idOrd []string      // s.ids in the order they were made
}

// New returns a simulator for cfg. ClientID, MerchantPublicKey and Key are
// required. With cfg.StateFile set it restores the saved state, or refuses
// a file it cannot use.
func New(cfg Config) (*Simulator, error) {
	switch {
	case cfg.ClientID == "":
		return nil, errors.New("sim: config: ClientID is required")
	case cfg.MerchantPublicKey == nil:
		return nil, errors.New("sim: config: MerchantPublicKey is required")
	case cfg.Key == nil:
		return nil, errors.New("sim: config: Key is required")
	case cfg.OrderClose < 0:
		return nil, errors.New("sim: config: OrderClose must not be negative")
	}
	if err := cfg.Faults.Validate(); err != nil {
		return nil, err
	}
	if cfg.SettlementCurrency == "" {
		cfg.SettlementCurrency = DefaultSettlementCurrency
	}
	if _, err := antom.Exponent(cfg.SettlementCurrency); err != nil {
		return nil, fmt.Errorf("sim: config: SettlementCurrency: %w", err)
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("sim: config: PublicURL must be an absolute http(s) URL")
		}
	}
	if cfg.SDKEventURL != "" && !strings.Contains(cfg.SDKEventURL, "{paymentRequestId}") {
		return nil, errors.New("sim: config: SDKEventURL must contain {paymentRequestId}")
	}
	s := &Simulator{
		cfg:        cfg,
		clock:      cfg.Clock,
		http:       cfg.HTTPClient,
		log:        cfg.Logger,
		loc:        cfg.Location,
		public:     strings.TrimRight(cfg.PublicURL, "/"),
		faults:     cfg.Faults,
		payments:   map[string]*payment{},
		byID:       map[string]*payment{},
		bySession:  map[string]*payment{},
		captures:   map[string]*capture{},
		refunds:    map[string]*refund{},
		refundsReq: map[string]*refund{},
		idem:       map[string]idemEntry{},
		ids:        map[string]bool{},
		deliveries: map[string]*delivery{},
		wake:       make(chan struct{}, 1),
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 10 * time.Second}
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.loc == nil {
		s.loc = time.FixedZone("UTC-8", -8*60*60)
	}
	if s.cfg.OrderClose == 0 {
		s.cfg.OrderClose = DefaultOrderClose
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("sim: templates: %w", err)
	}
	s.tmpl = tmpl
	s.mux = s.routes()
	if cfg.StateFile != "" {
		if err := s.openState(cfg.StateFile); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Handler serves the APIs (/ams/api/... and /ams/sandbox/api/...), the
// hosted checkout (/checkout) and the control API and delivery log (/sim/...).
func (s *Simulator) Handler() http.Handler { return s.mux }

func (s *Simulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/ams/", s.serveAPI)
	mux.HandleFunc("GET /checkout", s.handleCheckoutPage)
	mux.HandleFunc("POST /checkout", s.handleCheckoutSubmit)
	mux.HandleFunc("POST /checkout/3ds", s.handleChallengeSubmit)
	mux.HandleFunc("GET /sim/{$}", s.handleIndex)
	mux.HandleFunc("GET /sim/faults", s.handleFaultsGet)
	mux.HandleFunc("PUT /sim/faults", sameSiteJSON(s.handleFaultsPut))
	mux.HandleFunc("POST /sim/pay", sameSiteJSON(s.handlePay))
	mux.HandleFunc("GET /sim/payments", s.handlePayments)
	mux.HandleFunc("GET /sim/payments/{paymentRequestId}", s.handlePayment)
	mux.HandleFunc("GET /sim/deliveries", s.handleDeliveriesPage)
	mux.HandleFunc("GET /sim/deliveries.json", s.handleDeliveriesJSON)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sim/", http.StatusFound)
	})
	return mux
}

// CheckoutURL returns the hosted checkout URL of a session:
// <PublicURL>/checkout?sessionData=<url-encoded paymentSessionData>. The
// merchant adds &clientSecret=<the payment's client secret> for the
// checkout to report the buyer's SDK event with it, as its app would.
func (s *Simulator) CheckoutURL(paymentSessionData string) string {
	return s.public + "/checkout?sessionData=" + url.QueryEscape(paymentSessionData)
}

// checkoutURLFor is CheckoutURL keeping the client secret the checkout was
// opened with.
func (s *Simulator) checkoutURLFor(paymentSessionData, clientSecret string) string {
	u := s.CheckoutURL(paymentSessionData)
	if clientSecret != "" {
		u += "&clientSecret=" + url.QueryEscape(clientSecret)
	}
	return u
}

// SetFaults replaces the faults in force. Invalid faults are ignored and
// logged; use the control API or Faults.Validate to check them first.
func (s *Simulator) SetFaults(f Faults) {
	if err := f.Validate(); err != nil {
		s.log.Warn("sim: faults refused", "err", err)
		return
	}
	f.APIs = append([]string(nil), f.APIs...)
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Faults returns the faults in force (with API fault counters as they stand).
func (s *Simulator) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	f.APIs = append([]string(nil), f.APIs...)
	return f
}

// Now returns the simulator's current time.
func (s *Simulator) Now() time.Time { return s.clock.Now() }

// Run delivers notifications (with retries) and closes unpaid orders until
// ctx ends; it then waits for attempts in flight and returns.
func (s *Simulator) Run(ctx context.Context) {
	defer s.inflight.Wait()
	var timer <-chan time.Time // waits for timerFor; reused while it is still the earliest job
	var timerFor time.Time
	for {
		now := s.clock.Now()
		s.mu.Lock()
		due := s.jobs.popDue(now)
		next, hasNext := s.jobs.next()
		s.mu.Unlock()
		for _, j := range due {
			s.runJob(ctx, j)
		}
		if len(due) > 0 {
			continue
		}
		switch {
		case !hasNext:
			timer = nil
		case timer == nil || !next.Equal(timerFor):
			timer, timerFor = waitUntil(s.clock, next), next
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer:
			timer = nil
		}
	}
}

// schedule adds a job; the caller holds s.mu.
func (s *Simulator) schedule(j job) {
	s.jobs.push(j)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Simulator) runJob(ctx context.Context, j job) {
	switch j.kind {
	case jobClose:
		s.closeOrder(j.ref)
	case jobAttempt:
		s.startAttempt(ctx, j.ref)
	}
}

// formatRequestTime writes a notification's request-time header as
// Antom's documented samples do: ISO 8601 with milliseconds and the
// offset, e.g. 2019-07-12T12:08:56.253+05:30 (Z for UTC).
func (s *Simulator) formatRequestTime(t time.Time) string {
	return t.In(s.loc).Format("2006-01-02T15:04:05.000Z07:00")
}

// formatTime writes an Antom datetime: ISO 8601 with offset, seconds precision.
func (s *Simulator) formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.loc).Format("2006-01-02T15:04:05-07:00")
}
