package handlers

import (
	"context"
	"math"
	"net/netip"
	"sync"
	"time"

	"paydesk/store"
)

// WebhookConfig bounds what notifications that are not Antom's may cost
// (issue 9, part 3), and sets the request-time check (part 7). Zero fields
// take the defaults.
type WebhookConfig struct {
	// RefusedPerAddress is how many refused deliveries (signature not ok,
	// too large, request-time outside the window) one source address may
	// have stored per minute, in bursts of as many (default 60). An IPv6
	// source counts by its /64. Past it the webhook answers 429 with
	// Retry-After and stores nothing but a count. Verified deliveries are
	// never limited: Antom's retries always get through.
	RefusedPerAddress int
	// RefusedOverall is the same limit for all sources together (default 600).
	RefusedOverall int
	// RefusedPerDay caps the refused deliveries stored per day, all sources
	// together (default 10,000: about 80 MiB at the 8 KiB a summarised one
	// keeps).
	RefusedPerDay int
	// RefusedRetention is how long refused deliveries and the counts of
	// dropped ones are kept (PAYDESK_REFUSED_DELIVERY_RETENTION, default 7
	// days). Verified deliveries are kept for good.
	RefusedRetention time.Duration
	// MaxSkew, when positive, refuses (401 request_time_skew) a verified
	// notification whose request-time parses and is further than this from
	// the server's clock (PAYDESK_NOTIFY_MAX_SKEW; default 0: off, since
	// Antom retries for a day and the header's format is unconfirmed).
	// Whether on or off, how far request-time was, or why it could not be
	// read, is recorded on the delivery.
	MaxSkew time.Duration
}

// Defaults of WebhookConfig.
const (
	DefaultRefusedPerAddress = 60
	DefaultRefusedOverall    = 600
	DefaultRefusedPerDay     = 10_000
	DefaultRefusedRetention  = 7 * 24 * time.Hour
)

func (c WebhookConfig) withDefaults() WebhookConfig {
	if c.RefusedPerAddress <= 0 {
		c.RefusedPerAddress = DefaultRefusedPerAddress
	}
	if c.RefusedOverall <= 0 {
		c.RefusedOverall = DefaultRefusedOverall
	}
	if c.RefusedPerDay <= 0 {
		c.RefusedPerDay = DefaultRefusedPerDay
	}
	if c.RefusedRetention <= 0 {
		c.RefusedRetention = DefaultRefusedRetention
	}
	return c
}

// maxLimitedAddresses bounds the per-address buckets kept in memory; past
// it, buckets at rest are forgotten, and new addresses share one bucket.
const maxLimitedAddresses = 10_000

// bucket is a token bucket: burst tokens, refilled at rate per second.
type bucket struct {
	tokens float64
	at     time.Time
}

// refill brings b up to now and reports whether it is full again.
func (b *bucket) refill(now time.Time, rate, burst float64) bool {
	if d := now.Sub(b.at).Seconds(); d > 0 {
		b.tokens = math.Min(burst, b.tokens+d*rate)
	}
	b.at = now
	return b.tokens >= burst
}

// wait is how long until b holds one token.
func (b *bucket) wait(rate float64) time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

type limit struct{ rate, burst float64 }

// refusedLimiter decides, in memory, whether a refused delivery may be
// stored, and counts the ones that are not until they are flushed to the
// store's refused_drops. It is per process: with several replicas each
// bound is per replica (README). Sharing it through the database would
// cost a write for every refused post, the cost the limit exists to bound.
type refusedLimiter struct {
	addr, overall, day limit

	mu        sync.Mutex
	addrs     map[string]*bucket
	pruned    time.Time // when addrs was last pruned
	all, days bucket
	drops     map[string]*store.RefusedDrop
}

func newRefusedLimiter(c WebhookConfig) *refusedLimiter {
	perMinute := func(n int) limit { return limit{rate: float64(n) / 60, burst: float64(n)} }
	l := &refusedLimiter{
		addr:    perMinute(c.RefusedPerAddress),
		overall: perMinute(c.RefusedOverall),
		day:     limit{rate: float64(c.RefusedPerDay) / 86400, burst: float64(c.RefusedPerDay)},
		addrs:   map[string]*bucket{},
		drops:   map[string]*store.RefusedDrop{},
	}
	l.all.tokens, l.days.tokens = l.overall.burst, l.day.burst
	return l
}

// allow takes a token for a refused delivery from source at now, or says
// how long until one is available.
func (l *refusedLimiter) allow(source string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.addrs[source]
	if b == nil {
		if len(l.addrs) >= maxLimitedAddresses && now.Sub(l.pruned) >= time.Second {
			l.pruned = now
			for k, v := range l.addrs {
				if v.refill(now, l.addr.rate, l.addr.burst) {
					delete(l.addrs, k)
				}
			}
		}
		if len(l.addrs) >= maxLimitedAddresses {
			source = store.DropSourceOther
		}
		if b = l.addrs[source]; b == nil {
			b = &bucket{tokens: l.addr.burst, at: now}
			l.addrs[source] = b
		}
	}
	b.refill(now, l.addr.rate, l.addr.burst)
	l.all.refill(now, l.overall.rate, l.overall.burst)
	l.days.refill(now, l.day.rate, l.day.burst)
	if w := max(b.wait(l.addr.rate), l.all.wait(l.overall.rate), l.days.wait(l.day.rate)); w > 0 {
		return false, w
	}
	b.tokens--
	l.all.tokens--
	l.days.tokens--
	return true, 0
}

// drop counts a refused delivery from source that was not stored.
func (l *refusedLimiter) drop(source string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addDrop(store.RefusedDrop{Source: source, Count: 1, First: now, Last: now})
}

// addDrop merges d into the pending counts; l.mu is held. At most
// store.MaxDropSourcesPerDay sources are counted one by one.
func (l *refusedLimiter) addDrop(d store.RefusedDrop) {
	p := l.drops[d.Source]
	if p == nil && len(l.drops) >= store.MaxDropSourcesPerDay {
		d.Source = store.DropSourceOther
		p = l.drops[d.Source]
	}
	if p == nil {
		l.drops[d.Source] = &d
		return
	}
	p.Count += d.Count
	if d.First.Before(p.First) {
		p.First = d.First
	}
	if d.Last.After(p.Last) {
		p.Last = d.Last
	}
}

// takeDrops returns the pending counts and starts new ones.
func (l *refusedLimiter) takeDrops() []store.RefusedDrop {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]store.RefusedDrop, 0, len(l.drops))
	for _, d := range l.drops {
		out = append(out, *d)
	}
	clear(l.drops)
	return out
}

// putBack returns counts that could not be written to the pending ones.
func (l *refusedLimiter) putBack(drops []store.RefusedDrop) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range drops {
		l.addDrop(d)
	}
}

// sourceOf is the key a client address is limited and counted by: the
// address itself, or an IPv6 address's /64 (one host usually holds a whole
// /64).
func sourceOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		if ip == "" {
			return "unknown"
		}
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, err := a.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return a.String()
}

// FlushRefusedDrops writes the counts of refused deliveries dropped since
// the last flush to the store. The web server's background job calls it
// every few seconds and at shutdown; counts that could not be written are
// kept for the next flush.
func (h *Handlers) FlushRefusedDrops(ctx context.Context) error {
	drops := h.refused.takeDrops()
	if len(drops) == 0 {
		return nil
	}
	if err := h.Store.RecordRefusedDrops(ctx, drops); err != nil {
		h.refused.putBack(drops)
		return err
	}
	return nil
}

// PurgeRefusedDeliveries deletes the refused deliveries, and the counts of
// dropped ones, older than the retention period at now.
func (h *Handlers) PurgeRefusedDeliveries(ctx context.Context, now time.Time) (int64, error) {
	return h.Store.PurgeRefusedDeliveries(ctx, now.Add(-h.Webhook.RefusedRetention))
}
