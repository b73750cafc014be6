package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/paths"
)

// notification is one signed webhook request, ready to send.
type notification struct {
	body        []byte
	requestTime string
	signature   string
	payment     int // the open payment's index
	capture     bool
}

// notificationBodies are the PAYMENT_RESULT S and CAPTURE_RESULT S that
// Antom would send for an open payment, in that order.
func notificationBodies(p store.FixturePayment) [2][]byte {
	amount := map[string]string{"currency": p.Currency, "value": antom.FormatValue(p.AmountMinor)}
	at := p.CreatedAt.Add(time.Minute).Format(time.RFC3339)
	pay, _ := json.Marshal(map[string]any{
		"notifyType":        antom.NotifyPaymentResult,
		"result":            map[string]string{"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "success"},
		"paymentRequestId":  p.PaymentRequestID,
		"paymentId":         p.PaymentID,
		"paymentAmount":     amount,
		"paymentCreateTime": p.CreatedAt.Format(time.RFC3339),
		"paymentTime":       at,
		"paymentMethodType": "CARD",
		"paymentResultInfo": map[string]string{"cardBrand": "VISA", "cardNo": "************0768", "funding": "CREDIT"},
	})
	capture, _ := json.Marshal(map[string]any{
		"notifyType":          antom.NotifyCaptureResult,
		"result":              map[string]string{"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "success"},
		"paymentId":           p.PaymentID,
		"captureRequestId":    p.CaptureRequestID,
		"captureId":           p.CaptureID,
		"captureAmount":       amount,
		"captureTime":         at,
		"acquirerReferenceNo": "ACQ-" + p.CaptureID,
	})
	return [2][]byte{pay, capture}
}

// captureLag is how many notifications after its PAYMENT_RESULT a
// payment's CAPTURE_RESULT is sent: Antom reports the automatic capture a
// little later, so it should not race the payment result on another sender
// (which would make most captures arrive out of order).
const captureLag = 512

// slot is where the j-th notification (0: payment, 1: capture) of the i-th
// open payment goes in the sending order: blocks of captureLag payment
// results, each followed by the same payments' capture results.
func slot(i, j, n int) int {
	block := i / captureLag * captureLag
	size := min(captureLag, n-block)
	return 2*block + j*size + i - block
}

// signNotifications signs the two notifications of each open payment,
// in parallel: RSA signing (~1 ms each) is done before the clock starts,
// so the load generator spends its CPU on sending.
func signNotifications(key *rsa.PrivateKey, clientID string, open []store.FixturePayment) ([]notification, error) {
	out := make([]notification, 2*len(open))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(open) {
					return
				}
				for j, body := range notificationBodies(open[i]) {
					rt := time.Now().Format(time.RFC3339)
					sig, err := antom.SignMessage(key, paths.WebhookAntom, clientID, rt, body)
					if err != nil {
						errs <- err
						return
					}
					out[slot(i, j, len(open))] = notification{body: body, requestTime: rt, signature: sig, payment: i, capture: j == 1}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return out, nil
}

// ingestResult is what a notification load measured.
type ingestResult struct {
	sent, ok, failed int
	first            int // of sent, first deliveries (the rest are redeliveries: duplicates)
	elapsed          time.Duration
	latency          latencies
	firstError       string
	// acked[k] says notification k was acknowledged at least once.
	acked []bool
	// perServer counts the acknowledgements of each server.
	perServer []int
	// CPU used during the load: the server's (in-process: the whole
	// process, load generator included) and, with the server in another
	// process, the load generator's own.
	serverCPU, loadCPU time.Duration
	cpuSplit           bool // serverCPU excludes the load generator
}

// cpuPer is d per acknowledged notification.
func (r ingestResult) cpuPer(d time.Duration) time.Duration {
	if r.ok == 0 {
		return 0
	}
	return d / time.Duration(r.ok)
}

// sendCursor is the position in the sending order, kept across loads so a
// later load continues where the previous one stopped.
type sendCursor struct{ next atomic.Int64 }

func (r ingestResult) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// fireNotifications posts the notifications, cycling through them in order
// (a later cycle redelivers: duplicates), from concurrency senders for d.
// A request counts as ok when it is answered 200 with Antom's ack body.
// With several servers the requests go to each in turn.
func fireNotifications(ctx context.Context, client *http.Client, bases []string, clientID string, notes []notification, cur *sendCursor, concurrency int, d time.Duration) ingestResult {
	next := &cur.next
	acked := make([]atomic.Bool, len(notes))
	type worker struct {
		lat               []time.Duration
		ok, failed, first int
		firstError        string
		perServer         []int
	}
	workers := make([]worker, concurrency)
	ack := []byte(antom.AckBody)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			me := &workers[w]
			me.lat = make([]time.Duration, 0, 16384)
			me.perServer = make([]int, len(bases))
			var buf bytes.Buffer
			for time.Now().Before(deadline) && ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k < len(notes) {
					me.first++
				}
				n := notes[k%len(notes)]
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, bases[k%len(bases)]+paths.WebhookAntom, bytes.NewReader(n.body))
				req.Header.Set("Content-Type", "application/json; charset=UTF-8")
				req.Header.Set(antom.HeaderClientID, clientID)
				req.Header.Set(antom.HeaderRequestTime, n.requestTime)
				req.Header.Set(antom.HeaderSignature, n.signature)
				t0 := time.Now()
				res, err := client.Do(req)
				if err == nil {
					buf.Reset()
					_, err = io.Copy(&buf, res.Body)
					res.Body.Close()
				}
				lat := time.Since(t0)
				switch {
				case err != nil:
					me.failed++
					if me.firstError == "" {
						me.firstError = err.Error()
					}
				case res.StatusCode != http.StatusOK || !bytes.Equal(buf.Bytes(), ack):
					me.failed++
					if me.firstError == "" {
						me.firstError = fmt.Sprintf("status %d: %.200s", res.StatusCode, buf.String())
					}
				default:
					me.ok++
					me.lat = append(me.lat, lat)
					acked[k%len(notes)].Store(true)
					me.perServer[k%len(bases)]++
				}
			}
		}()
	}
	wg.Wait()
	r := ingestResult{elapsed: time.Since(start), perServer: make([]int, len(bases))}
	var all []time.Duration
	for _, w := range workers {
		for i, n := range w.perServer {
			r.perServer[i] += n
		}
		r.ok += w.ok
		r.failed += w.failed
		r.first += w.first
		all = append(all, w.lat...)
		if r.firstError == "" {
			r.firstError = w.firstError
		}
	}
	r.sent = r.ok + r.failed
	r.latency = summarize(all)
	r.acked = make([]bool, len(notes))
	for k := range acked {
		r.acked[k] = acked[k].Load()
	}
	return r
}
