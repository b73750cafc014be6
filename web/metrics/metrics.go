// Package metrics is Paydesk's Prometheus instrumentation: one private
// registry per running Paydesk (never the global one, so a test binary can
// run several), the counters and histograms the webhook, the Antom client,
// the store's writer and the live polls feed, the background work's backlog
// read from store/ops at scrape time, and the Go runtime and process
// collectors. Every Paydesk metric is named paydesk_*; the README lists them
// with example alert rules.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"paydesk/antom"
	"paydesk/store/ops"
)

// Metrics holds the registry and the instruments. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	deliveries       *prometheus.CounterVec
	deliveryDuration *prometheus.HistogramVec
	lastVerified     prometheus.Gauge
	antomCalls       *prometheus.CounterVec
	antomDuration    *prometheus.HistogramVec
	commitBatch      prometheus.Histogram
	commitDuration   prometheus.Histogram
	livePolls        *prometheus.CounterVec
}

// latencyBuckets are 1 ms to ~16 s, doubling.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2, 15)

// New builds the instruments on a new registry with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paydesk_webhook_deliveries_total",
			Help: "Notifications answered by the webhook, by signature verdict (ok, missing, bad, unverifiable) and outcome (applied, duplicate, out_of_order, stale, contradiction, unknown_payment, rejected, not_applied, not_stored, rate_limited).",
		}, []string{"verdict", "outcome"}),
		deliveryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "paydesk_webhook_delivery_duration_seconds",
			Help:    "Time from a notification's arrival to the webhook's answer (verify, durable commit), by signature verdict.",
			Buckets: latencyBuckets,
		}, []string{"verdict"}),
		lastVerified: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "paydesk_webhook_last_verified_timestamp_seconds",
			Help: "Unix time of the last notification whose signature verified (0: none since start).",
		}),
		antomCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paydesk_antom_calls_total",
			Help: "HTTP exchanges with Antom's API (each retry counts), by API, result status (S, F, U, or error when no result was read) and result code (Antom's, or HTTP_<status>, TRANSPORT, BAD_RESPONSE).",
		}, []string{"api", "result_status", "result_code"}),
		antomDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "paydesk_antom_call_duration_seconds",
			Help:    "Duration of one HTTP exchange with Antom's API, by API.",
			Buckets: latencyBuckets,
		}, []string{"api"}),
		commitBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "paydesk_store_commit_batch_size",
			Help:    "Writes grouped into one durable commit by the store's writer (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "paydesk_store_commit_duration_seconds",
			Help:    "Duration of the store writer's COMMIT (the fsync) of one group of writes.",
			Buckets: latencyBuckets,
		}),
		livePolls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paydesk_live_polls_total",
			Help: "Live-update polls of the dashboard, by page (payment, payments) and answer (unchanged: 204 from one read; changed: re-rendered; error).",
		}, []string{"page", "answer"}),
	}
	m.reg.MustRegister(m.deliveries, m.deliveryDuration, m.lastVerified, m.antomCalls, m.antomDuration,
		m.commitBatch, m.commitDuration, m.livePolls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the private registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus' text format. A collector that
// fails (the database is unreadable) leaves its metrics out and the rest
// is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// WebhookDelivery counts a notification answered (handlers.Metrics).
func (m *Metrics) WebhookDelivery(verdict, outcome string, elapsed time.Duration) {
	if verdict == "" {
		verdict = "none"
	}
	m.deliveries.WithLabelValues(verdict, outcome).Inc()
	m.deliveryDuration.WithLabelValues(verdict).Observe(elapsed.Seconds())
	if verdict == "ok" {
		m.lastVerified.SetToCurrentTime()
	}
}

// AntomExchange counts one exchange with Antom (antom.WithObserver).
func (m *Metrics) AntomExchange(x antom.Exchange) {
	status, code := x.ResultStatus, x.ResultCode
	if x.Err != nil && status == "" {
		status, code = "error", "BAD_RESPONSE"
		var te *antom.TransportError
		if errors.As(x.Err, &te) {
			code = "TRANSPORT"
			if te.StatusCode != 0 && te.StatusCode != http.StatusOK {
				code = "HTTP_" + strconv.Itoa(te.StatusCode)
			}
		}
	}
	m.antomCalls.WithLabelValues(x.API, status, code).Inc()
	m.antomDuration.WithLabelValues(x.API).Observe(x.Duration.Seconds())
}

// Commit observes one group commit (store.WithCommitObserver).
func (m *Metrics) Commit(batch int, d time.Duration) {
	m.commitBatch.Observe(float64(batch))
	m.commitDuration.Observe(d.Seconds())
}

// LivePoll counts one live poll of page answered with HTTP status.
func (m *Metrics) LivePoll(page string, status int) {
	answer := "error"
	switch {
	case status == http.StatusNoContent:
		answer = "unchanged"
	case status < 300: // 200, or 286 that stops the polling
		answer = "changed"
	}
	m.livePolls.WithLabelValues(page, answer).Inc()
}

// WatchOperations adds the background work's backlog, read with health at
// each scrape (bounded by a 5 s timeout): the reconciler's and the poller's
// queue depth, oldest overdue age and lag.
func (m *Metrics) WatchOperations(health func(context.Context) (ops.Health, error)) {
	m.reg.MustRegister(&opsCollector{health: health})
}

// opsCollector reads ops.Health at scrape time.
type opsCollector struct {
	health func(context.Context) (ops.Health, error)
}

var (
	descOpsPending = prometheus.NewDesc("paydesk_reconciler_queue_depth",
		"Money operations (capture, cancel, refund) in flight: the reconciler's queue.", nil, nil)
	descOpsUnknown = prometheus.NewDesc("paydesk_reconciler_unknown",
		"Operations in flight whose last attempt had no definitive answer.", nil, nil)
	descOpsOverdue = prometheus.NewDesc("paydesk_reconciler_past_window",
		"Operations in flight past Antom's window (flagged for a person).", nil, nil)
	descOpsOldest = prometheus.NewDesc("paydesk_reconciler_oldest_pending_age_seconds",
		"Age of the oldest operation in flight (0 when none).", nil, nil)
	descOpsLag = prometheus.NewDesc("paydesk_reconciler_lag_seconds",
		"How late the most overdue attempt of an operation is: the oldest overdue age (0 when nothing is due).", nil, nil)
	descPollDue = prometheus.NewDesc("paydesk_poller_queue_depth",
		"Payments whose inquiry is due now: the poller's queue.", nil, nil)
	descPollLag = prometheus.NewDesc("paydesk_poller_lag_seconds",
		"How late the most overdue payment inquiry is: the oldest overdue age (0 when nothing is due).", nil, nil)
	descInFlight = prometheus.NewDesc("paydesk_antom_calls_in_flight",
		"Antom calls of the operations layer in progress in this process.", nil, nil)
	descFailures = prometheus.NewDesc("paydesk_reconciler_failed_24h",
		"Operations Antom refused in the last 24 hours.", nil, nil)
	descRecordFailures = prometheus.NewDesc("paydesk_operations_record_failures_total",
		"Antom answers that could not be recorded since start-up.", nil, nil)
)

func (c *opsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpsPending, descOpsUnknown, descOpsOverdue, descOpsOldest, descOpsLag,
		descPollDue, descPollLag, descInFlight, descFailures, descRecordFailures} {
		ch <- d
	}
}

func (c *opsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := c.health(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descOpsPending, err)
		return
	}
	oldest := 0.0
	if !h.OldestPending.IsZero() {
		oldest = max(time.Since(h.OldestPending).Seconds(), 0)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	gauge(descOpsPending, float64(h.Pending))
	gauge(descOpsUnknown, float64(h.Unknown))
	gauge(descOpsOverdue, float64(h.Overdue))
	gauge(descOpsOldest, oldest)
	gauge(descOpsLag, h.Lag.Seconds())
	gauge(descPollDue, float64(h.PollsDue))
	gauge(descPollLag, h.PollLag.Seconds())
	gauge(descInFlight, float64(h.InFlight))
	gauge(descFailures, float64(h.RecentFailures))
	ch <- prometheus.MustNewConstMetric(descRecordFailures, prometheus.CounterValue, float64(h.RecordFailures))
}
