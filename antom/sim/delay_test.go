package sim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
)

// A send held by the apiDelay fault whose client gives up is never
// processed: the hold ends when the client leaves (which net/http notices
// only once the request body is read), not after the delay.
func TestAPIDelayDropsASendWhoseClientLeft(t *testing.T) {
	k := getKeys(t)
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	s, err := sim.New(sim.Config{
		ClientID:          testClientID,
		MerchantPublicKey: &k.merchant.PublicKey,
		Key:               k.antom,
		PublicURL:         ts.URL,
		Faults:            sim.Faults{APIDelay: 2 * time.Second, APIs: []string{"createPaymentSession"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h = s.Handler()
	impatient := antom.NewClient(ts.URL, testClientID, k.merchant, &k.antom.PublicKey,
		antom.WithRetries(0), antom.WithTimeout(50*time.Millisecond))
	_, err = impatient.CreatePaymentSession(context.Background(), sessionRequest("PR_GONE", "4200", ""))
	var te *antom.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("createPaymentSession under a hold longer than the client waits: %v, want a transport error", err)
	}
	ts.Close() // waits for the held request to end
	if _, ok := s.Payment("PR_GONE"); ok {
		t.Error("the simulator processed a send whose client had given up")
	}
}
