package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// BenchmarkPollerThroughput measures how fast the poller works through a
// backlog: b.N open sessions all due for an inquiry at once, against the
// simulator over HTTP, with the default concurrency (8 calls in flight).
// The old poller took a batch of 50 a second; this one takes due work as
// fast as Antom answers.
//
//	go test -run '^$' -bench PollerThroughput -benchtime 3000x ./web/
func BenchmarkPollerThroughput(b *testing.B) {
	merchant, antomKey, _ := payKeys(b)
	ctx := context.Background()
	front, err := newSharedListener()
	if err != nil {
		b.Fatal(err)
	}
	defer front.Close()
	addr := front.Addr().String()
	simSrv, err := sim.StartServer(ctx, "127.0.0.1:0", sim.Config{ClientID: payTestClientID, MerchantPublicKey: &merchant.PublicKey,
		Key: antomKey, OrderClose: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer simSrv.Close()
	client := antom.NewClient(simSrv.URL, payTestClientID, merchant, &antomKey.PublicKey)
	s := &scnStack{t: b, dir: b.TempDir(), addr: addr, front: front, sim: simSrv, client: client}
	s.start()
	defer s.stop(false)
	for i := 0; i < b.N; i++ {
		p, err := s.st.CreatePayment(ctx, store.NewPayment{ReferenceOrderID: fmt.Sprintf("bench-%d", i), Description: "bench",
			AmountMinor: 4200, Currency: "SGD", CaptureMode: antom.CaptureAutomatic, NotifyURL: "http://" + addr + paths.WebhookAntom,
			RedirectURL: "http://" + addr + paths.Payments, CreatedBy: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if p, err = s.h.Operations.CreateSession(ctx, p); err != nil {
			b.Fatal(err)
		}
		for p.Status == store.StatusCreated { // the answer came after the caller's wait
			time.Sleep(5 * time.Millisecond)
			d, err := s.st.GetPayment(ctx, p.PaymentRequestID)
			if err != nil {
				b.Fatal(err)
			}
			p = &d.Payment
		}
		if p.Status != store.StatusSessionReady {
			b.Fatalf("session: %s", p.Status)
		}
	}
	before, _ := s.h.Operations.Health(ctx)
	s.offset.Store(int64(time.Hour)) // every session is due for an inquiry now
	b.ResetTimer()
	start := time.Now()
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.jobs.RunPoller(pctx); close(done) }()
	for {
		h, err := s.h.Operations.Health(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if h.Inquiries-before.Inquiries >= int64(b.N) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "inquiries/s")
}
