package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"paydesk/antom"
)

// Persistence. With Config.StateFile set, the simulator keeps its whole
// state (sessions, payments, captures, refunds, cancels, idempotency records,
// pending notifications and the delivery log) in one JSON file, so a restart
// forgets nothing, as Antom does not.
//
// When a change is saved: an API answer and a checkout result are promises
// (Antom's answer to a capture means the capture happened), so they are sent
// only after a save that covers them is on disk. The simpler correct way is
// used: the request saves synchronously, after it has released s.mu and
// before it answers. Saves are serialized and each one writes everything
// changed so far, so concurrent requests share a save (group commit) and
// no answer waits for a timer. Background changes that nobody is told about
// (a notification attempt made, an order closed) are saved by a writer
// goroutine at most every saveInterval, and by Close; if the process dies
// first, they happen again after the restart, which Antom's at-least-once
// notifications allow.

// stateVersion is the format of the state file; other versions are refused.
const stateVersion = 1

// saveInterval is the least time between two background saves.
const saveInterval = 100 * time.Millisecond

// saveRetry is how long the background writer waits after a failed save.
const saveRetry = time.Second

// ErrStateNotSaved means a change was made but could not be saved to the
// state file; the caller is told to try again rather than given a promise
// the simulator cannot keep.
var ErrStateNotSaved = errors.New("sim: state could not be saved")

// stateWriter saves the simulator's state to its file.
type stateWriter struct {
	path  string
	mu    sync.Mutex    // serializes saves; held while writing
	saved atomic.Uint64 // the change generation on disk
	kick  chan struct{} // a background change waits to be saved
	stop  chan struct{}
	done  chan struct{} // closed when the background writer has returned
	once  sync.Once
	err   error // Close's final save
}

// changedLocked records that the state changed, and that p did when it is
// not nil, and wakes the background writer. Every change to a payment goes
// through a call naming it, or the state file keeps its old encoding. The
// caller holds s.mu.
func (s *Simulator) changedLocked(p *payment) {
	if p != nil {
		p.rev++
	}
	s.gen.Add(1)
	if s.state == nil {
		return
	}
	select {
	case s.state.kick <- struct{}{}:
	default:
	}
}

// flush returns once every change made before the call is saved, saving
// them itself if needed. Without a state file it does nothing.
func (s *Simulator) flush() error {
	w := s.state
	if w == nil {
		return nil
	}
	want := s.gen.Load()
	if w.saved.Load() >= want {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.saved.Load() >= want {
		return nil // a save made while we waited covers our changes
	}
	// Only what changed is encoded under the lock; the file is assembled
	// and written without it.
	s.mu.Lock()
	gen := s.gen.Load()
	parts, err := s.encodeLocked()
	s.mu.Unlock()
	if err == nil {
		err = writeFileAtomic(w.path, parts.bytes())
	}
	if err != nil {
		s.log.Error("sim: state not saved", "file", w.path, "err", err)
		return fmt.Errorf("%w to %s: %w", ErrStateNotSaved, w.path, err)
	}
	w.saved.Store(gen)
	return nil
}

// writeLoop saves background changes, at most every saveInterval.
func (s *Simulator) writeLoop(w *stateWriter) {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		case <-w.kick:
		}
		// Changes made while we wait are saved together.
		select {
		case <-w.stop:
			return
		case <-time.After(saveInterval):
		}
		if s.flush() != nil {
			// Logged by flush; try again later, without flooding the log.
			select {
			case <-w.stop:
				return
			case <-time.After(saveRetry):
			}
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	}
}

// Close saves the state a last time and stops the background writer. Call
// it after Run has returned. Without a StateFile it does nothing. Server.Close
// calls it.
func (s *Simulator) Close() error {
	w := s.state
	if w == nil {
		return nil
	}
	w.once.Do(func() {
		close(w.stop)
		<-w.done
		// Saved even without a change, for the simulated time it stops at.
		s.mu.Lock()
		s.changedLocked(nil)
		s.mu.Unlock()
		w.err = s.flush()
	})
	return w.err
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old file or the new one: a temporary file in the same directory, fsync,
// rename, fsync of the directory.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// --- the file format ---

// stateFile is the whole saved state. Times are simulated times. Response
// and notification bodies are kept as strings so that they come back byte
// for byte (replays and signatures depend on it).
type stateFile struct {
	Version     int               `json:"version"`
	ClientID    string            `json:"clientId"`
	SimTime     time.Time         `json:"simTime"` // the simulated time of the save
	Payments    []statePayment    `json:"payments"`
	Idempotency []stateIdem       `json:"idempotency"`
	IDs         []string          `json:"ids"` // in the order they were made
	DeliverySeq int               `json:"deliverySeq"`
	Deliveries  []stateDelivery   `json:"deliveries"` // those neither acknowledged nor given up
	Attempts    []DeliveryAttempt `json:"attempts"`
}

type statePayment struct {
	RequestID          string                            `json:"paymentRequestId"`
	PaymentID          string                            `json:"paymentId"`
	Request            antom.CreatePaymentSessionRequest `json:"request"`
	Amount             int64                             `json:"amount"`
	Currency           string                            `json:"currency"`
	Value              string                            `json:"value"`
	CaptureMode        string                            `json:"captureMode"`
	ThreeDS            bool                              `json:"threeDS"`
	SettlementCurrency string                            `json:"settlementCurrency,omitempty"` // empty in files saved before it existed: no settlement fields
	NotifyURL          string                            `json:"notifyUrl"`
	RedirectURL        string                            `json:"redirectUrl"`
	SessionData        string                            `json:"sessionData"`
	SessionID          string                            `json:"sessionId"`
	SessionExpiry      time.Time                         `json:"sessionExpiry"`
	CreatedAt          time.Time                         `json:"createdAt"`
	Status             string                            `json:"status"`
	ResultCode         string                            `json:"resultCode"`
	ResultMessage      string                            `json:"resultMessage"`
	PaymentTime        time.Time                         `json:"paymentTime,omitzero"`
	AuthExpiry         time.Time                         `json:"authExpiry,omitzero"`
	CancelTime         time.Time                         `json:"cancelTime,omitzero"`
	CancelResponse     string                            `json:"cancelResponse,omitempty"`
	Card               *antom.PaymentResultInfo          `json:"card,omitempty"`
	Challenge          *stateChallenge                   `json:"challenge,omitempty"`
	LastCapture        bool                              `json:"lastCapture"`
	Captures           []stateCapture                    `json:"captures"`
	Refunds            []stateRefund                     `json:"refunds"`
	SDKEvents          []SDKEvent                        `json:"sdkEvents"`
}

type stateChallenge struct {
	CardNumber string `json:"cardNumber"` // a sandbox test card number
	Month      int    `json:"month"`
	Year       int    `json:"year"`
	Holder     string `json:"holder"`
	TriesLeft  int    `json:"triesLeft"`
}

type stateCapture struct {
	RequestID string    `json:"captureRequestId"`
	CaptureID string    `json:"captureId"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	At        time.Time `json:"at"`
	Auto      bool      `json:"auto"`
}

type stateRefund struct {
	RequestID   string    `json:"refundRequestId"`
	RefundID    string    `json:"refundId"`
	ReferenceID string    `json:"referenceRefundId"`
	CaptureID   string    `json:"captureId"`
	Reason      string    `json:"reason"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	NotifyURL   string    `json:"notifyUrl"`
	At          time.Time `json:"at"`
}

type stateIdem struct {
	Key         string `json:"key"`
	Fingerprint string `json:"fingerprint"`
	Body        string `json:"body"`
}

type stateDelivery struct {
	ID               string       `json:"id"`
	NotifyType       string       `json:"notifyType"`
	PaymentRequestID string       `json:"paymentRequestId"`
	PaymentID        string       `json:"paymentId"`
	SubjectID        string       `json:"subjectId"`
	Result           antom.Result `json:"result"`
	URL              string       `json:"url"`
	Path             string       `json:"path"`
	Body             string       `json:"body"`
	Copy             int          `json:"copy"`
	Attempts         int          `json:"attempts"`
	First            time.Time    `json:"first,omitzero"`
	Next             time.Time    `json:"next,omitzero"`
	State            string       `json:"state"`
	Followers        []string     `json:"followers,omitempty"`
}

// encCache keeps the JSON of the parts of the state file that cannot
// change, so that a save encodes only what is new. (A payment keeps its own
// encoding, redone when its revision moves.)
type encCache struct {
	idem     map[string][]byte // an idempotency record never changes
	attempts [][]byte          // nor does an entry of the delivery log
	ids      []byte            // the first nIDs IDs, comma-separated
	nIDs     int
}

// stateParts is the state file in encoded pieces. The pieces are never
// modified after encoding, so they can be assembled without s.mu.
type stateParts struct {
	head       []byte // "version", "clientId" and "simTime" members, without braces
	payments   [][]byte
	idem       [][]byte
	ids        []byte
	seq        int
	deliveries []byte
	attempts   [][]byte
}

// encodeLocked encodes what changed since the last save and gathers the
// rest from the cache. The caller holds s.mu.
func (s *Simulator) encodeLocked() (*stateParts, error) {
	head, err := json.Marshal(struct {
		Version  int       `json:"version"`
		ClientID string    `json:"clientId"`
		SimTime  time.Time `json:"simTime"`
	}{stateVersion, s.cfg.ClientID, s.clock.Now()})
	if err != nil {
		return nil, err
	}
	parts := &stateParts{head: head[1 : len(head)-1], seq: s.seq}
	for _, p := range s.order {
		if p.enc == nil || p.encRev != p.rev {
			if p.enc, err = json.Marshal(paymentState(p)); err != nil {
				return nil, err
			}
			p.encRev = p.rev
		}
		parts.payments = append(parts.payments, p.enc)
	}
	if s.enc.idem == nil {
		s.enc.idem = map[string][]byte{}
	}
	keys := make([]string, 0, len(s.idem))
	for k := range s.idem {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b, ok := s.enc.idem[k]
		if !ok {
			e := s.idem[k]
			if b, err = json.Marshal(stateIdem{Key: k, Fingerprint: e.fingerprint, Body: string(e.body)}); err != nil {
				return nil, err
			}
			s.enc.idem[k] = b
		}
		parts.idem = append(parts.idem, b)
	}
	for _, id := range s.idOrd[s.enc.nIDs:] {
		b, err := json.Marshal(id)
		if err != nil {
			return nil, err
		}
		// Appending never touches the bytes earlier parts hold.
		if len(s.enc.ids) > 0 {
			s.enc.ids = append(s.enc.ids, ',')
		}
		s.enc.ids = append(s.enc.ids, b...)
	}
	s.enc.nIDs = len(s.idOrd)
	parts.ids = s.enc.ids
	for _, a := range s.attempts[len(s.enc.attempts):] {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		s.enc.attempts = append(s.enc.attempts, b)
	}
	parts.attempts = s.enc.attempts
	pending := []stateDelivery{}
	for _, d := range s.deliveries {
		if d.state == deliveryAcked || d.state == deliveryGaveUp {
			continue
		}
		pending = append(pending, stateDelivery{
			ID: d.id, NotifyType: d.notifyType, PaymentRequestID: d.paymentRequestID, PaymentID: d.paymentID,
			SubjectID: d.subjectID, Result: d.result, URL: d.url, Path: d.path, Body: string(d.body),
			Copy: d.copy, Attempts: d.attempts, First: d.first, Next: d.next, State: d.state,
			Followers: d.followers,
		})
	}
	slices.SortFunc(pending, func(a, b stateDelivery) int { return cmpNumericID(a.ID, b.ID) })
	if parts.deliveries, err = json.Marshal(pending); err != nil {
		return nil, err
	}
	return parts, nil
}

// bytes assembles the state file.
func (p *stateParts) bytes() []byte {
	n := len(p.head) + len(p.ids) + len(p.deliveries) + 200
	for _, group := range [][][]byte{p.payments, p.idem, p.attempts} {
		for _, b := range group {
			n += len(b) + 1
		}
	}
	out := make([]byte, 0, n)
	array := func(name string, items [][]byte) {
		out = append(out, `,"`+name+`":[`...)
		for i, b := range items {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, b...)
		}
		out = append(out, ']')
	}
	out = append(out, '{')
	out = append(out, p.head...)
	array("payments", p.payments)
	array("idempotency", p.idem)
	out = append(out, `,"ids":[`...)
	out = append(out, p.ids...)
	out = append(out, `],"deliverySeq":`...)
	out = strconv.AppendInt(out, int64(p.seq), 10)
	out = append(out, `,"deliveries":`...)
	out = append(out, p.deliveries...)
	array("attempts", p.attempts)
	return append(out, '}')
}

// paymentState is a payment in its file form.
func paymentState(p *payment) statePayment {
	sp := statePayment{
		RequestID: p.requestID, PaymentID: p.paymentID, Request: p.req,
		Amount: p.amount, Currency: p.currency, Value: p.value,
		CaptureMode: p.captureMode, ThreeDS: p.threeDS, SettlementCurrency: p.settlementCurrency,
		NotifyURL: p.notifyURL, RedirectURL: p.redirectURL,
		SessionData: p.sessionData, SessionID: p.sessionID,
		SessionExpiry: p.expiry, CreatedAt: p.createdAt,
		Status: p.status, ResultCode: p.resultCode, ResultMessage: p.resultMessage,
		PaymentTime: p.paymentTime, AuthExpiry: p.authExpiry, CancelTime: p.cancelTime,
		CancelResponse: string(p.cancelResp), Card: p.card, LastCapture: p.lastCapture,
		Captures: []stateCapture{}, Refunds: []stateRefund{}, SDKEvents: p.sdkEvents,
	}
	if ch := p.challenge; ch != nil {
		sp.Challenge = &stateChallenge{CardNumber: ch.number, Month: ch.month, Year: ch.year, Holder: ch.holder, TriesLeft: ch.triesLeft}
	}
	for _, c := range p.captures {
		sp.Captures = append(sp.Captures, stateCapture{RequestID: c.requestID, CaptureID: c.captureID, Amount: c.amount, Currency: c.currency, At: c.at, Auto: c.auto})
	}
	for _, r := range p.refunds {
		sp.Refunds = append(sp.Refunds, stateRefund{RequestID: r.requestID, RefundID: r.refundID, ReferenceID: r.referenceID, CaptureID: r.captureID,
			Reason: r.reason, Amount: r.amount, Currency: r.currency, NotifyURL: r.notifyURL, At: r.at})
	}
	if sp.SDKEvents == nil {
		sp.SDKEvents = []SDKEvent{}
	}
	return sp
}

// --- loading ---

// openState loads the state file into a new simulator (a missing file is a
// fresh start, written at once so that an unwritable location fails now and
// not at the first payment) and starts the background writer.
func (s *Simulator) openState(path string) error {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.state = newStateWriter(path)
		s.mu.Lock()
		s.changedLocked(nil)
		s.mu.Unlock()
		if err := s.flush(); err != nil {
			return fmt.Errorf("sim: state file %s cannot be written: %w", path, err)
		}
		s.log.Info("sim: new state file", "file", path)
	case err != nil:
		return stateFileError(path, err)
	default:
		var st stateFile
		if err := json.Unmarshal(data, &st); err != nil {
			return stateFileError(path, fmt.Errorf("not a valid state file: %w", err))
		}
		s.mu.Lock()
		err := s.restoreLocked(&st)
		s.mu.Unlock()
		if err != nil {
			return stateFileError(path, err)
		}
		s.state = newStateWriter(path)
		s.log.Info("sim: state restored", "file", path, "payments", len(s.order), "pendingDeliveries", s.PendingDeliveries(), "simTime", s.formatTime(s.clock.Now()))
	}
	go s.writeLoop(s.state)
	return nil
}

func newStateWriter(path string) *stateWriter {
	return &stateWriter{path: path, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// stateFileError refuses a state file the simulator cannot use: starting
// empty instead would silently forget payments Antom "knows".
func stateFileError(path string, err error) error {
	return fmt.Errorf("sim: state file %s cannot be used: %w; to start the simulator empty, forgetting every payment and pending notification it kept, delete the file", path, err)
}

// restoreLocked rebuilds the simulator from a saved state, checking that it
// holds together, and schedules the background work it implies. The caller
// holds s.mu; s is new and empty.
func (s *Simulator) restoreLocked(st *stateFile) error {
	if st.Version != stateVersion {
		return fmt.Errorf("version %d, want %d", st.Version, stateVersion)
	}
	if st.ClientID != s.cfg.ClientID {
		return fmt.Errorf("it belongs to client ID %q, not %q", st.ClientID, s.cfg.ClientID)
	}
	for i := range st.Payments {
		if err := s.restorePaymentLocked(&st.Payments[i]); err != nil {
			return fmt.Errorf("payment %d (%q): %w", i+1, st.Payments[i].RequestID, err)
		}
	}
	for _, e := range st.Idempotency {
		api, id, ok := cutIdemKey(e.Key)
		switch {
		case !ok:
			return fmt.Errorf("idempotency record %q: unknown key", e.Key)
		case api == "createPaymentSession" && s.payments[id] == nil:
			return fmt.Errorf("idempotency record %q: no such payment", e.Key)
		case !json.Valid([]byte(e.Body)):
			return fmt.Errorf("idempotency record %q: the answer is not JSON", e.Key)
		}
		s.idem[e.Key] = idemEntry{fingerprint: e.Fingerprint, body: []byte(e.Body)}
	}
	for _, id := range st.IDs {
		if !s.ids[id] {
			s.ids[id] = true
			s.idOrd = append(s.idOrd, id)
		}
	}
	s.seq = st.DeliverySeq
	s.attempts = st.Attempts
	for _, sd := range st.Deliveries {
		if err := s.restoreDeliveryLocked(sd); err != nil {
			return fmt.Errorf("delivery %q: %w", sd.ID, err)
		}
	}

	// Simulated time never runs backwards across a restart: a scaled clock
	// starts again at the real time, which may be behind the saved simulated
	// time, so the simulator continues from the saved time. With a real
	// clock the saved time has passed and due times stay wall-clock times.
	if ahead := st.SimTime.Sub(s.clock.Now()); ahead > 0 {
		s.clock = offsetClock{Clock: s.clock, offset: ahead}
	}
	now := s.clock.Now()

	// The Run loop's jobs: each open order's close, each delivery's next
	// attempt with its remaining schedule.
	for _, p := range s.order {
		if !p.final() {
			s.schedule(job{due: p.createdAt.Add(s.cfg.OrderClose), kind: jobClose, ref: p.requestID})
		}
	}
	waiting := map[string]bool{}
	for _, d := range s.deliveries {
		for _, f := range d.followers {
			waiting[f] = true
		}
	}
	for _, d := range sortedDeliveries(s.deliveries) {
		switch d.state {
		case deliverySending:
			// Saved while an attempt was on the wire: its outcome is unknown,
			// so the attempt is made again.
			d.attempts--
			d.state = deliveryScheduled
			s.schedule(job{due: d.next, kind: jobAttempt, ref: d.id})
		case deliveryScheduled:
			s.schedule(job{due: d.next, kind: jobAttempt, ref: d.id})
		case deliveryWaiting:
			if !waiting[d.id] {
				s.releaseLocked(d, now) // its predecessor is gone: do not wait forever
			}
		}
	}
	return nil
}

func cutIdemKey(key string) (api, id string, ok bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '|' {
			api, id = key[:i], key[i+1:]
			return api, id, slices.Contains(apiNames, api) && id != ""
		}
	}
	return "", "", false
}

func sortedDeliveries(m map[string]*delivery) []*delivery {
	out := make([]*delivery, 0, len(m))
	for _, d := range m {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *delivery) int { return cmpNumericID(a.id, b.id) })
	return out
}

func (s *Simulator) restorePaymentLocked(sp *statePayment) error {
	switch {
	case sp.RequestID == "" || sp.PaymentID == "" || sp.SessionData == "":
		return errors.New("paymentRequestId, paymentId and sessionData are required")
	case s.payments[sp.RequestID] != nil || s.byID[sp.PaymentID] != nil || s.bySession[sp.SessionData] != nil:
		return errors.New("saved twice")
	case sp.Amount <= 0 || sp.Currency == "":
		return errors.New("no amount")
	case sp.CreatedAt.IsZero() || sp.SessionExpiry.IsZero():
		return errors.New("no creation or expiry time")
	}
	switch sp.Status {
	case antom.PaymentProcessing, antom.PaymentPending, antom.PaymentSuccess, antom.PaymentFail, antom.PaymentCancelled:
	default:
		return fmt.Errorf("unknown status %q", sp.Status)
	}
	if sp.Status == antom.PaymentCancelled && !json.Valid([]byte(sp.CancelResponse)) {
		return errors.New("cancelled without a saved cancel answer")
	}
	p := &payment{
		requestID: sp.RequestID, paymentID: sp.PaymentID, req: sp.Request,
		amount: sp.Amount, currency: sp.Currency, value: sp.Value,
		captureMode: sp.CaptureMode, threeDS: sp.ThreeDS, settlementCurrency: sp.SettlementCurrency,
		notifyURL: sp.NotifyURL, redirectURL: sp.RedirectURL,
		sessionData: sp.SessionData, sessionID: sp.SessionID,
		expiry: sp.SessionExpiry, createdAt: sp.CreatedAt,
		status: sp.Status, resultCode: sp.ResultCode, resultMessage: sp.ResultMessage,
		paymentTime: sp.PaymentTime, authExpiry: sp.AuthExpiry, cancelTime: sp.CancelTime,
		card: sp.Card, lastCapture: sp.LastCapture, sdkEvents: sp.SDKEvents,
	}
	if sp.CancelResponse != "" {
		p.cancelResp = []byte(sp.CancelResponse)
	}
	if ch := sp.Challenge; ch != nil {
		card, ok := findTestCard(ch.CardNumber)
		if !ok || p.card == nil {
			return errors.New("a 3DS challenge without its test card")
		}
		p.challenge = &challenge{card: card, number: ch.CardNumber, month: ch.Month, year: ch.Year, holder: ch.Holder, triesLeft: ch.TriesLeft}
	}
	for _, sc := range sp.Captures {
		if sc.CaptureID == "" || sc.Amount <= 0 || s.captures[sc.CaptureID] != nil {
			return fmt.Errorf("capture %q: missing, duplicate or without an amount", sc.CaptureID)
		}
		c := &capture{requestID: sc.RequestID, captureID: sc.CaptureID, paymentID: p.paymentID, amount: sc.Amount, currency: sc.Currency, at: sc.At, auto: sc.Auto}
		p.captures = append(p.captures, c)
		p.captured += c.amount
		s.captures[c.captureID] = c
	}
	for _, sr := range sp.Refunds {
		if sr.RefundID == "" || sr.RequestID == "" || sr.Amount <= 0 || s.refunds[sr.RefundID] != nil || s.refundsReq[sr.RequestID] != nil {
			return fmt.Errorf("refund %q: missing, duplicate or without an amount", sr.RefundID)
		}
		r := &refund{requestID: sr.RequestID, refundID: sr.RefundID, referenceID: sr.ReferenceID, paymentID: p.paymentID, captureID: sr.CaptureID,
			reason: sr.Reason, amount: sr.Amount, currency: sr.Currency, notifyURL: sr.NotifyURL, at: sr.At}
		p.refunds = append(p.refunds, r)
		p.refunded += r.amount
		s.refunds[r.refundID] = r
		s.refundsReq[r.requestID] = r
	}
	if p.captured > p.amount || p.refunded > p.captured {
		return errors.New("captured more than authorized or refunded more than captured")
	}
	s.payments[p.requestID] = p
	s.byID[p.paymentID] = p
	s.bySession[p.sessionData] = p
	s.order = append(s.order, p)
	return nil
}

func (s *Simulator) restoreDeliveryLocked(sd stateDelivery) error {
	switch sd.State {
	case deliveryWaiting, deliveryScheduled, deliverySending:
	default:
		return fmt.Errorf("unknown or final state %q", sd.State)
	}
	switch {
	case sd.ID == "" || s.deliveries[sd.ID] != nil:
		return errors.New("missing or duplicate ID")
	case sd.URL == "" || sd.Path == "" || !json.Valid([]byte(sd.Body)):
		return errors.New("no URL, path or JSON body")
	case sd.State != deliveryWaiting && sd.Next.IsZero():
		return errors.New("no due time")
	case sd.Attempts < 0 || sd.Attempts > MaxAttempts:
		return fmt.Errorf("%d attempts made, want 0 to %d", sd.Attempts, MaxAttempts)
	}
	s.deliveries[sd.ID] = &delivery{
		id: sd.ID, notifyType: sd.NotifyType, paymentRequestID: sd.PaymentRequestID, paymentID: sd.PaymentID,
		subjectID: sd.SubjectID, result: sd.Result, url: sd.URL, path: sd.Path, body: []byte(sd.Body),
		copy: sd.Copy, attempts: sd.Attempts, first: sd.First, next: sd.Next, state: sd.State,
		followers: sd.Followers,
	}
	return nil
}

// offsetClock is a clock moved forward by a fixed amount.
type offsetClock struct {
	Clock
	offset time.Duration
}

func (c offsetClock) Now() time.Time { return c.Clock.Now().Add(c.offset) }

// Until waits for t on the underlying clock's time line.
func (c offsetClock) Until(t time.Time) <-chan time.Time {
	return waitUntil(c.Clock, t.Add(-c.offset))
}
