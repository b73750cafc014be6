package handlers

import "time"

// Metrics receives what the handlers count; web/metrics implements it with
// Prometheus. Declared here, where it is used, so handlers import no
// metrics library.
type Metrics interface {
	// WebhookDelivery counts one notification answered by the webhook:
	// its signature verdict, its outcome (the store's, or "not_applied"
	// when it was stored but applying it failed, "not_stored" when the
	// database could not take it, "rate_limited" when refused deliveries
	// from its sender were over the limit) and the time from receipt to
	// the answer.
	WebhookDelivery(verdict, outcome string, elapsed time.Duration)
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) WebhookDelivery(string, string, time.Duration) {}
