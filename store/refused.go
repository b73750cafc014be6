package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// A refused delivery is one not accepted as Antom's: its signature is not
// ok (missing, bad, unverifiable, too large) or the webhook refused it
// before its content mattered (request-time outside the allowed window).
// Anyone can send one, so it costs a bounded amount: the first
// RefusedBodyBudget bytes of its body and RefusedHeadersBudget bytes of its
// headers are kept, with the full body's length and SHA-256, and it is
// deleted after the retention period (PurgeRefusedDeliveries). Verified
// deliveries are kept whole.
const (
	RefusedBodyBudget    = 4 << 10
	RefusedHeadersBudget = 4 << 10
	// MaxDropSourcesPerDay is how many source addresses a day of
	// refused_drops counts one by one; the others share DropSourceOther.
	MaxDropSourcesPerDay = 1000
	// DropSourceOther is the source under which addresses past
	// MaxDropSourcesPerDay are counted.
	DropSourceOther = "*"
	// refusedHeaderValueMax shortens a single header value of a refused
	// delivery (a signature header is ~400 bytes).
	refusedHeaderValueMax = 512
	// purgeBatch is how many rows one purge transaction deletes, so the
	// writer is never held for long.
	purgeBatch = 500
)

// keptDelivery is what IngestNotification writes of a delivery's bytes.
type keptDelivery struct {
	body        []byte
	headers     []byte
	bodySize    int
	bodySHA256  string
	headersSize int
	summarised  bool
}

// keepDelivery encodes the headers and, for a refused delivery, cuts body
// and headers to their budgets and shortens in's ClientID and RequestTime.
// The size and SHA-256 are of the body as received.
func keepDelivery(in *DeliveryInput, refused bool) (keptDelivery, error) {
	k := keptDelivery{body: in.Body, bodySize: len(in.Body)}
	if k.body == nil {
		k.body = []byte{}
	}
	sum := sha256.Sum256(k.body)
	k.bodySHA256 = hex.EncodeToString(sum[:])
	headers := in.Headers
	if headers == nil {
		headers = map[string][]string{}
	}
	full, err := json.Marshal(headers)
	if err != nil {
		return k, fmt.Errorf("store: delivery headers: %w", err)
	}
	k.headers, k.headersSize = full, len(full)
	if !refused {
		return k, nil
	}
	// The header values stored in columns of their own are bounded as in
	// the headers, or a long Client-Id or Request-Time would bypass the
	// budget.
	in.ClientID = shorten(in.ClientID, refusedHeaderValueMax)
	in.RequestTime = shorten(in.RequestTime, refusedHeaderValueMax)
	if len(k.body) > RefusedBodyBudget {
		k.body, k.summarised = k.body[:RefusedBodyBudget], true
	}
	if len(full) > RefusedHeadersBudget {
		if k.headers, err = boundHeaders(headers, RefusedHeadersBudget); err != nil {
			return k, err
		}
		k.summarised = true
	}
	return k, nil
}

// boundHeaders encodes headers as a JSON object of at most budget bytes:
// the headers a notification is judged by come first, then the rest by
// name; each value is shortened to refusedHeaderValueMax bytes (marked
// with "…"), and a header that no longer fits is left out.
func boundHeaders(headers map[string][]string, budget int) ([]byte, error) {
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	first := map[string]int{"Client-Id": 1, "Request-Time": 2, "Signature": 3, "Content-Type": 4,
		"Content-Length": 5, "Content-Encoding": 6, "User-Agent": 7}
	rank := func(name string) int {
		if r, ok := first[http.CanonicalHeaderKey(name)]; ok {
			return r
		}
		return len(first) + 1
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	out := map[string][]string{}
	size := len("{}")
	for _, name := range names {
		vals := make([]string, 0, len(headers[name]))
		for _, v := range headers[name] {
			vals = append(vals, shorten(v, refusedHeaderValueMax))
		}
		// The cost of `"name":["v",…]` plus a separating comma.
		n, err := json.Marshal(name)
		if err != nil {
			return nil, fmt.Errorf("store: delivery headers: %w", err)
		}
		v, err := json.Marshal(vals)
		if err != nil {
			return nil, fmt.Errorf("store: delivery headers: %w", err)
		}
		cost := len(n) + 1 + len(v)
		if len(out) > 0 {
			cost++
		}
		if size+cost > budget {
			continue
		}
		out[name], size = vals, size+cost
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("store: delivery headers: %w", err)
	}
	return b, nil
}

// shorten cuts s to at most max bytes (on a UTF-8 boundary when s is
// UTF-8) and marks the cut with "…".
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && cut > max-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// PurgeRefusedDeliveries deletes refused deliveries received before
// before, and the refused_drops counts of the days before before's day,
// and returns how many deliveries went. It deletes in small transactions
// so notifications are never kept waiting. A refused delivery is never
// linked to a payment, an event or a duplicate (only verified, parsed
// deliveries are); the conditions below keep it so for rows written by
// any version. The newest delivery is kept, so its id is never reused.
func (s *Store) PurgeRefusedDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id IN (
				SELECT d.id FROM deliveries d
				WHERE d.refused = 1 AND d.received_at < ? AND d.payment_fk IS NULL AND d.dedupe_key IS NULL
				  AND d.id < (SELECT max(id) FROM deliveries)
				  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.delivery_fk = d.id)
				ORDER BY d.received_at LIMIT ?)`, before.UnixMilli(), purgeBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: purge refused deliveries: %w", err)
		}
		total += n
		if n < purgeBatch {
			break
		}
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM refused_drops WHERE day < ?", dropDay(before))
		return err
	})
	if err != nil {
		return total, fmt.Errorf("store: purge refused drop counts: %w", err)
	}
	return total, nil
}

// RefusedDrop counts refused deliveries from one source that were not
// stored (rate limited).
type RefusedDrop struct {
	Source      string
	Count       int64
	First, Last time.Time
}

// dropDay is the refused_drops day of an instant.
func dropDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// RecordRefusedDrops adds counts of dropped refused deliveries to their
// day's rows (the day of First). A day counts at most MaxDropSourcesPerDay
// sources one by one; the counts of further sources go to DropSourceOther,
// so the table stays small whatever the number of senders.
func (s *Store) RecordRefusedDrops(ctx context.Context, drops []RefusedDrop) error {
	if len(drops) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		known := map[string]int{} // day → sources with a row of their own
		for _, d := range drops {
			if d.Count <= 0 {
				continue
			}
			day, src := dropDay(d.First), d.Source
			if src == "" {
				src = DropSourceOther
			}
			if src != DropSourceOther {
				var exists int
				err := tx.QueryRowContext(ctx, "SELECT count(*) FROM refused_drops WHERE day = ? AND source = ?", day, src).Scan(&exists)
				if err != nil {
					return err
				}
				if exists == 0 {
					n, ok := known[day]
					if !ok {
						if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM refused_drops WHERE day = ? AND source <> ?",
							day, DropSourceOther).Scan(&n); err != nil {
							return err
						}
					}
					if n >= MaxDropSourcesPerDay {
						src = DropSourceOther
					} else {
						n++
					}
					known[day] = n
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO refused_drops (day, source, dropped, first_at, last_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (day, source) DO UPDATE SET dropped = refused_drops.dropped + excluded.dropped,
					first_at = CASE WHEN excluded.first_at < refused_drops.first_at THEN excluded.first_at ELSE refused_drops.first_at END,
					last_at = CASE WHEN excluded.last_at > refused_drops.last_at THEN excluded.last_at ELSE refused_drops.last_at END`,
				day, src, d.Count, d.First.UnixMilli(), d.Last.UnixMilli())
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: record refused drops: %w", err)
	}
	return nil
}

// RefusedDropStats sums the dropped refused deliveries since a day.
type RefusedDropStats struct {
	Total   int64
	Sources int           // rows counted (DropSourceOther counts as one)
	Top     []RefusedDrop // the sources that sent most, most first
}

// RefusedDrops sums refused_drops from since's day on, with the top
// sources (at most top of them).
func (s *Store) RefusedDrops(ctx context.Context, since time.Time, top int) (*RefusedDropStats, error) {
	st := &RefusedDropStats{}
	day := dropDay(since)
	err := s.rdb.QueryRowContext(ctx, "SELECT coalesce(sum(dropped), 0), count(DISTINCT source) FROM refused_drops WHERE day >= ?", day).
		Scan(&st.Total, &st.Sources)
	if err != nil {
		return nil, fmt.Errorf("store: refused drops: %w", err)
	}
	if st.Total == 0 || top <= 0 {
		return st, nil
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT source, sum(dropped) AS n, min(first_at), max(last_at) FROM refused_drops
		WHERE day >= ? GROUP BY source ORDER BY n DESC, source LIMIT ?`, day, top)
	if err != nil {
		return nil, fmt.Errorf("store: refused drops: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d RefusedDrop
		var first, last int64
		if err := rows.Scan(&d.Source, &d.Count, &first, &last); err != nil {
			return nil, fmt.Errorf("store: refused drops: %w", err)
		}
		d.First, d.Last = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		st.Top = append(st.Top, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: refused drops: %w", err)
	}
	return st, nil
}

// requestTimeColumns are the request_skew_ms and request_time_error values
// of a delivery received at received.
func requestTimeColumns(in *DeliveryInput, received time.Time) (skew any, errText string) {
	if in.RequestTimeError != "" {
		return nil, strings.TrimSpace(in.RequestTimeError)
	}
	if in.RequestTimeAt.IsZero() {
		return nil, ""
	}
	return received.Sub(in.RequestTimeAt).Milliseconds(), ""
}
