package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"paydesk/antom"
)

// Search (issue 11, "search that finds"): every ID a person may paste is
// kept normalized in search_keys (migration 0009, maintained by triggers).
// A query is normalized the same way and matched exactly (the key index);
// when nothing matches exactly, by prefix (a range of the key index); when
// nothing starts with it either, by a fragment of 3 or more characters
// (on SQLite the FTS5 trigram index search_fts, on PostgreSQL a pg_trgm GIN
// index on search_keys.key). Four digits are also a card's last four.

// SearchLimit is the most payments one search returns, a list page's
// worth; more matches set SearchResult.More.
const SearchLimit = 50

// CardNarrowAt is how many card-last-four matches make the search ask for
// a second criterion (a date or an amount).
const CardNarrowAt = 20

// minFragmentLen is the shortest query matched as a fragment inside an ID:
// shorter than a trigram the FTS index cannot answer it.
const minFragmentLen = 3

// maxSearchLen bounds the normalized query: no stored ID is longer (Antom's
// IDs are at most 64 characters, the merchant's are bounded on input).
const maxSearchLen = MaxSearchText

// MaxSearchText bounds what a search box takes, in bytes: no ID is longer.
const MaxSearchText = 256

// The search queries; each is one index read (TestQueryPlansUseIndexes).
const (
	searchExactSQL = `SELECT payment_fk, kind, sub_fk FROM search_keys
		WHERE key = ? ORDER BY payment_fk DESC LIMIT ?`
	searchPrefixSQL = `SELECT payment_fk, kind, sub_fk FROM search_keys
		WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`
	// Newest keys first: a key's rowid grows with its payment's. The
	// trigram index finds the candidates (fragmentMatch); instr on the
	// key keeps those that hold the fragment. Not GLOB: a GLOB pattern
	// bound as a parameter makes SQLite prepare the statement again on
	// every run (it may enable the LIKE optimization). In a profile of
	// fragment searches at 1,000,000 payments re-preparing fell from 15%
	// to 10% of the CPU with instr; the rest is FTS5's own (README).
	searchFragmentSQL = `SELECT k.payment_fk, k.kind, k.sub_fk
		FROM search_fts JOIN search_keys k ON k.id = search_fts.rowid
		WHERE search_fts MATCH ? AND instr(k.key, ?) > 0 ORDER BY search_fts.rowid DESC LIMIT ?`
	// The same from the run-length index of migration 0016
	// (search_grams.go), when its lists are the cheaper read.
	searchGramsSQL = `SELECT k.payment_fk, k.kind, k.sub_fk
		FROM search_grams JOIN search_keys k ON k.id = search_grams.rowid
		WHERE search_grams MATCH ? AND instr(k.key, ?) > 0 ORDER BY search_grams.rowid DESC LIMIT ?`
	// The keys the trigram index does not hold yet (search_index.go): a
	// second's worth, read by rowid.
	searchTailSQL = `SELECT payment_fk, kind, sub_fk FROM search_keys
		WHERE id > (SELECT upto FROM search_fts_indexed WHERE id = 1) AND instr(key, ?) > 0 ORDER BY id DESC LIMIT ?`
	searchCardSQL = `SELECT id, amount_minor, currency FROM payments WHERE card_last4 = ? AND card_last4 <> ''`
	// With an amount, its index: the planner, to avoid a sort, would
	// otherwise read every payment of the card by date.
	searchCardAmountSQL = `SELECT id, amount_minor, currency FROM payments INDEXED BY payments_card_last4_amount
		WHERE card_last4 = ? AND card_last4 <> ''`

	// PostgreSQL: the trigram GIN index answers LIKE '%fragment%' (every
	// write keeps it complete, so there is no tail to read), newest key
	// first as on SQLite.
	pgSearchFragmentSQL = `SELECT payment_fk, kind, sub_fk FROM search_keys
		WHERE key LIKE ? ESCAPE '\' ORDER BY id DESC LIMIT ?`
	// PostgreSQL has no INDEXED BY: the order by created_at + 0, which no
	// index gives, keeps its planner off the date index (reading every
	// payment of the card newest first, to avoid a sort) so it reads the
	// amount index; the few payments of that amount are then sorted.
	pgSearchCardAmountSQL = `SELECT id, amount_minor, currency FROM payments
		WHERE card_last4 = ? AND card_last4 <> ''`
	pgSearchCardAmountOrder = " ORDER BY created_at + 0 DESC, id DESC LIMIT ?"
)

// MatchKind is how a search hit matched.
type MatchKind int

// The kinds of match, best first.
const (
	MatchExact MatchKind = iota
	MatchCardLast4
	MatchPrefix
	MatchFragment
)

func (m MatchKind) String() string {
	switch m {
	case MatchExact:
		return "exact"
	case MatchCardLast4:
		return "card last four"
	case MatchPrefix:
		return "prefix"
	case MatchFragment:
		return "fragment"
	}
	return "unknown"
}

// searchFields names search_keys.kind (see migration 0009).
var searchFields = map[int]string{
	1: "paymentRequestId", 2: "paymentId", 3: "referenceOrderId", 4: "buyer ID", 5: "acquirer reference",
	6: "captureRequestId", 7: "captureId", 8: "capture acquirer reference",
	9: "refundRequestId", 10: "refundId", 11: "refund acquirer reference",
}

// isCaptureKind and isRefundKind: the kinds whose sub_fk is a capture or a refund.
func isCaptureKind(k int) bool { return k >= 6 && k <= 8 }
func isRefundKind(k int) bool  { return k >= 9 && k <= 11 }

// SearchQuery is one search: the text typed and, for a card's last four,
// the optional second criterion.
type SearchQuery struct {
	Text string
	// From and To bound created_at [From, To) of card-last-four matches;
	// zero is unbounded.
	From, To time.Time
	// Amount, in major units as typed ("230", "230.00"), narrows
	// card-last-four matches to payments of that amount in their currency.
	Amount string
	// Limit is the most hits returned; 0 or more than SearchLimit is SearchLimit.
	Limit int
}

// SearchHit is one payment found and how. Its Payment holds what a list
// row shows (hitCols); the payment's page loads the rest.
type SearchHit struct {
	Payment
	Match MatchKind
	// Field names the ID that matched ("captureId", "card last four"…).
	Field string
	// Highlight is the captureRequestId or refundRequestId of the capture or
	// refund whose ID matched; "" when the payment's own ID matched.
	Highlight string
	// HighlightKind ("capture" or "refund") and HighlightID (its rowid)
	// name that capture or refund.
	HighlightKind string
	HighlightID   int64
}

// SearchResult is a search's hits, best match first, then newest first.
type SearchResult struct {
	Hits []SearchHit
	// More: more payments matched than the hits show.
	More bool
	// CardLast4: the query was read as a card's last four digits.
	CardLast4 bool
	// NeedsNarrowing: a card's last four matched more than CardNarrowAt
	// payments and no date or amount was given.
	NeedsNarrowing bool
}

// Exact reports whether the result is one payment matched by one of its
// IDs exactly: the hit a caller can open directly.
func (r *SearchResult) Exact() (SearchHit, bool) {
	if len(r.Hits) == 0 || r.Hits[0].Match != MatchExact || r.More {
		return SearchHit{}, false
	}
	for _, h := range r.Hits[1:] {
		if h.ID != r.Hits[0].ID {
			return SearchHit{}, false
		}
	}
	return r.Hits[0], true
}

// NormalizeID is how IDs are compared in search: surrounding and inner
// white space and dashes removed (a pasted ID broken by spaces, "ORD-20435"
// typed "ord20435"), ASCII letters lower-cased. Migration 0009 applies the
// same rule in SQL to stored IDs (which hold no other white space or dash
// characters); a test checks the two agree.
func NormalizeID(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == '-', r == '\u2010', r == '\u2011', r == '\u2012', r == '\u2013',
			r == '\u2014', r == '\u2212', r == '\u200b', r == '\ufeff':
			// Also the dashes and invisible spaces a copy from a document or
			// a chat adds.
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isCardLast4 reports whether q is four digits.
func isCardLast4(q string) bool {
	if len(q) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		if q[i] < '0' || q[i] > '9' {
			return false
		}
	}
	return true
}

// Search finds payments by any ID a person quotes (paymentRequestId,
// paymentId, referenceOrderId, buyer ID, captureRequestId, captureId,
// refundRequestId, refundId, acquirer references), ignoring case, spaces
// and dashes: exact matches; if there are none, prefixes; if there are
// none, fragments of 3 or more characters. Four digits also match a card's last four, narrowed by
// q.From/To and q.Amount. An empty query or a malformed amount is a
// *FieldError; no match is an empty result.
func (s *Store) Search(ctx context.Context, q SearchQuery) (*SearchResult, error) {
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return nil, &FieldError{Field: "q", Message: "enter an ID to search for"}
	}
	limit := q.Limit
	if limit <= 0 || limit > SearchLimit {
		limit = SearchLimit
	}
	amounts, err := amountCandidates(q.Amount)
	if err != nil {
		return nil, err
	}
	key := NormalizeID(text)
	res := &SearchResult{}
	if key == "" || len(key) > maxSearchLen || !textValue(key) {
		// Only dashes, longer than any ID, or holding a NUL (which no ID
		// holds, and PostgreSQL text cannot): nothing can match.
		return res, nil
	}
	c := &collector{limit: limit, seen: map[int64]int{}}
	// Exact: every payment carrying the ID (an order or a buyer has several).
	if err := c.keys(ctx, s.rdb, MatchExact, searchExactSQL, key, limit+1); err != nil {
		return nil, err
	}
	if isCardLast4(key) {
		res.CardLast4 = true
		n, err := c.card(ctx, s.rdb, s.pg, key, q.From, q.To, amounts)
		if err != nil {
			return nil, err
		}
		res.NeedsNarrowing = n > CardNarrowAt && q.From.IsZero() && q.To.IsZero() && len(amounts) == 0
	}
	// An exact match is the answer (and opens the payment): prefixes and
	// fragments are read only when there is none, and never for a card's
	// last four narrowed by a day or an amount (the narrowing is about
	// cards; other IDs that merely contain the four digits would be noise).
	narrowedCard := res.CardLast4 && (!q.From.IsZero() || !q.To.IsZero() || len(amounts) > 0)
	if len(key) >= minFragmentLen && len(c.hits) == 0 && !narrowedCard {
		if err := c.keys(ctx, s.rdb, MatchPrefix, searchPrefixSQL, key, prefixEnd(key), limit+1); err != nil {
			return nil, err
		}
		// Fragments only when no ID starts with the text: an ID's beginning is
		// what people quote, and the trigram lists are the costly read.
		// A fragment is at least a trigram of characters, not bytes.
		fragment := utf8.RuneCountInString(key) >= minFragmentLen
		if fragment && len(c.hits) == 0 && s.pg {
			if err := c.pgFragment(ctx, s.rdb, key, limit+1); err != nil {
				return nil, err
			}
		} else if fragment && len(c.hits) == 0 {
			if err := c.keys(ctx, s.rdb, MatchFragment, searchTailSQL, key, limit+1); err != nil {
				return nil, err
			}
			if !c.full() {
				ready, err := s.gramsReady(ctx)
				if err != nil {
					return nil, fmt.Errorf("store: search: %w", err)
				}
				query := searchFragmentSQL
				plan := s.planFragment(key, ready)
				if plan.grams {
					query = searchGramsSQL
				}
				if !plan.none {
					if err := c.keys(ctx, s.rdb, MatchFragment, query, plan.match, key, limit+1); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	if err := c.load(ctx, s.rdb); err != nil {
		return nil, err
	}
	res.Hits, res.More = c.hits, c.more
	return res, nil
}

// textValue reports whether s can be a text parameter on both backends:
// valid UTF-8 without NUL (PostgreSQL refuses anything else with an error;
// no ID holds it).
func textValue(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// likeLiteral escapes LIKE's special characters, with \ as the escape
// character (ESCAPE '\'), so the text matches itself.
func likeLiteral(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CheckSearchAmount reports whether a typed amount can narrow a search: a
// *FieldError on "amount" if not.
func CheckSearchAmount(amount string) error {
	_, err := amountCandidates(amount)
	return err
}

// amountCandidates parses a typed amount into the minor-unit values it can
// mean, one per currency exponent (0, 2 and 3 decimals): the exponent is
// checked against each hit's currency.
func amountCandidates(amount string) (map[int64][]int, error) {
	amount = strings.TrimSpace(amount)
	if amount == "" {
		return nil, nil
	}
	out := map[int64][]int{}
	var firstErr error
	for _, ex := range []struct {
		code string
		exp  int
	}{{"JPY", 0}, {"USD", 2}, {"IQD", 3}} {
		minor, err := antom.ParseMajor(amount, ex.code)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out[minor] = append(out[minor], ex.exp)
	}
	if len(out) == 0 {
		return nil, &FieldError{Field: "amount", Message: firstErr.Error()}
	}
	return out, nil
}

// collector gathers ranked payment matches up to a limit.
type collector struct {
	limit int
	seen  map[int64]int // payment rowid → index in hits
	hits  []SearchHit
	subs  []searchSub // capture or refund matched, by hit index
	more  bool
}

type searchSub struct {
	hit, kind int
	sub       int64
}

func (c *collector) full() bool { return len(c.hits) >= c.limit }

// grow makes room for n more hits at once, as far as the limit: a hit
// holds a whole Payment, and appending fifty one by one allocated more
// than twice their size in discarded smaller slices.
func (c *collector) grow(n int) {
	if n = min(n, c.limit-len(c.hits)); n > 0 {
		c.hits = slices.Grow(c.hits, n)
	}
}

// add records payment id matched as m by field; a payment already found
// keeps its better match.
func (c *collector) add(id int64, m MatchKind, kind int, sub int64) {
	if _, ok := c.seen[id]; ok {
		return
	}
	if c.full() {
		c.more = true
		return
	}
	c.seen[id] = len(c.hits)
	field := searchFields[kind]
	if m == MatchCardLast4 {
		field = "card last four"
	}
	c.hits = append(c.hits, SearchHit{})
	h := &c.hits[len(c.hits)-1] // set in place: a hit is a whole Payment
	h.ID, h.Match, h.Field = id, m, field
	if sub != 0 && (isCaptureKind(kind) || isRefundKind(kind)) {
		c.subs = append(c.subs, searchSub{hit: len(c.hits) - 1, kind: kind, sub: sub})
	}
}

// pgFragment adds the keys holding fragment key on PostgreSQL, with a plan
// made for this very pattern. The generic plan a prepared statement
// switches to after a few runs cannot tell a rare fragment (the trigram
// index finds its few keys) from a common one (reading the newest keys
// until enough match is quicker): it read every key newest first for the
// rare ones too. Measured on 20,000 seeded payments (96,000 keys), 50
// order fragments: median 22 ms with the generic plan, 9.5 ms with this
// (a loaded 2-core machine; EXPLAIN ANALYZE put the index read at 2-7 ms).
func (c *collector) pgFragment(ctx context.Context, db *sql.DB, key string, limit int) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: search: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL plan_cache_mode = force_custom_plan"); err != nil {
		return fmt.Errorf("store: search: %w", err)
	}
	return c.keys(ctx, tx, MatchFragment, pgSearchFragmentSQL, "%"+likeLiteral(key)+"%", limit)
}

// keys runs a search_keys query returning (payment_fk, kind, sub_fk).
func (c *collector) keys(ctx context.Context, db querier, m MatchKind, query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: search: %w", err)
	}
	defer rows.Close()
	// The rows first, then the hits in one allocation (grow): a hit holds
	// a whole Payment, and growing the hits one by one was the largest
	// allocation of a fragment search (17 KB of 10 hits).
	type keyRow struct {
		id, sub int64
		kind    int
	}
	var buf [SearchLimit]keyRow // c.limit is at most SearchLimit
	found := buf[:0]
	var r keyRow // one, scanned into and copied: Scan's pointers escape
	for rows.Next() {
		if err := rows.Scan(&r.id, &r.kind, &r.sub); err != nil {
			return fmt.Errorf("store: search: %w", err)
		}
		if len(found) == c.limit {
			c.more = true
			break
		}
		found = append(found, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: search: %w", err)
	}
	c.grow(len(found))
	for _, k := range found {
		c.add(k.id, m, k.kind, k.sub)
	}
	return nil
}

// searchCardIDsSQL is searchCardSQL when no amount narrows the search: the
// amount and currency are not needed, and without them the card index
// (card_last4, created_at, id) holds every column read, so the newest
// matches are read from the index alone rather than from as many table
// rows (TestCardSearchReadsTheIndexOnly).
var searchCardIDsSQL = strings.Replace(searchCardSQL, "SELECT id, amount_minor, currency FROM", "SELECT id, 0, '' FROM", 1)

// card adds the payments whose card ends in last4, newest first, narrowed
// by [from, to) and amounts; it returns how many matched, up to
// CardNarrowAt+1 when not narrowed, so the caller knows to ask for more.
func (c *collector) card(ctx context.Context, db *sql.DB, postgres bool, last4 string, from, to time.Time, amounts map[int64][]int) (int, error) {
	query := searchCardIDsSQL
	args := []any{last4}
	if len(amounts) > 0 && postgres {
		query = pgSearchCardAmountSQL
	} else if len(amounts) > 0 {
		query = searchCardAmountSQL
	}
	if !from.IsZero() {
		query, args = query+" AND created_at >= ?", append(args, from.UnixMilli())
	}
	if !to.IsZero() {
		query, args = query+" AND created_at < ?", append(args, to.UnixMilli())
	}
	if len(amounts) > 0 {
		ph := make([]string, 0, len(amounts))
		for minor := range amounts {
			ph, args = append(ph, "?"), append(args, minor)
		}
		query += " AND amount_minor IN (" + strings.Join(ph, ", ") + ")"
	}
	order := " ORDER BY created_at DESC, id DESC LIMIT ?"
	if len(amounts) > 0 && postgres {
		order = pgSearchCardAmountOrder
	}
	rows, err := db.QueryContext(ctx, query+order, append(args, max(c.limit, CardNarrowAt)+1)...)
	if err != nil {
		return 0, fmt.Errorf("store: search card: %w", err)
	}
	defer rows.Close()
	// The matches are gathered first so the hits grow once (grow).
	ids := make([]int64, 0, max(c.limit, CardNarrowAt)+1)
	var id, minor int64
	var cur string
	for rows.Next() {
		if err := rows.Scan(&id, &minor, &cur); err != nil {
			return 0, fmt.Errorf("store: search card: %w", err)
		}
		if len(amounts) > 0 {
			exp, err := antom.Exponent(cur)
			if err != nil || !slices.Contains(amounts[minor], exp) {
				continue // the same digits in a currency with other decimals
			}
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: search card: %w", err)
	}
	c.grow(len(ids))
	for _, id := range ids {
		c.add(id, MatchCardLast4, 0, 0)
	}
	return len(ids), nil
}

// hitCols are the columns of a payment a search hit holds: what its list
// row shows (IDs, amount, the status in words, capture and refund state,
// flags, created), what DisplayStatusOf reads, and the card a search by
// its last four matched. The other 31 columns (the session data, the card
// and buyer JSON, URLs…) were half of a card search's CPU at 50 hits
// (issue 14); the detail page reads them.
const hitCols = `id, payment_request_id, reference_order_id, buyer_id, payment_id,
	amount_minor, currency, status, result_code, capture_state, captured_minor,
	refunded_minor, flags, created_at, paid_at, session_expires_at, card_brand, card_last4`

// scanPayments reads each payment row (hitCols) into its hit, in place.
func (c *collector) scanPayments(rows *sql.Rows) error {
	defer rows.Close()
	var (
		p               Payment
		paymentID       sql.NullString
		flags, created  int64
		paidAt, sessExp sql.NullInt64
	)
	dest := []any{&p.ID, &p.PaymentRequestID, &p.ReferenceOrderID, &p.BuyerID, &paymentID,
		&p.AmountMinor, &p.Currency, &p.Status, &p.ResultCode, &p.CaptureState, &p.CapturedMinor,
		&p.RefundedMinor, &flags, &created, &paidAt, &sessExp, &p.CardBrand, &p.CardLast4}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: scan payment: %w", err)
		}
		i, ok := c.seen[p.ID]
		if !ok {
			continue
		}
		p.PaymentID = paymentID.String
		p.Flags = Flag(flags)
		p.CreatedAt = time.UnixMilli(created).UTC()
		p.PaidAt = fromMS(paidAt)
		p.SessionExpiresAt = fromMS(sessExp)
		c.hits[i].Payment = p
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: search: %w", err)
	}
	return nil
}

// load reads the payments of the hits and the capture or refund each
// matched, then orders them: best match first, then newest first.
func (c *collector) load(ctx context.Context, db *sql.DB) error {
	if len(c.hits) == 0 {
		return nil
	}
	args := make([]any, len(c.hits))
	for i := range c.hits {
		args[i] = c.hits[i].ID
	}
	rows, err := db.QueryContext(ctx, "SELECT "+hitCols+" FROM payments WHERE id IN (?"+strings.Repeat(", ?", len(c.hits)-1)+")", args...)
	if err != nil {
		return fmt.Errorf("store: search: %w", err)
	}
	if err := c.scanPayments(rows); err != nil {
		return err
	}
	for _, sb := range c.subs {
		q := "SELECT capture_request_id FROM captures WHERE id = ?"
		c.hits[sb.hit].HighlightKind, c.hits[sb.hit].HighlightID = "capture", sb.sub
		if isRefundKind(sb.kind) {
			q = "SELECT refund_request_id FROM refunds WHERE id = ?"
			c.hits[sb.hit].HighlightKind = "refund"
		}
		if err := db.QueryRowContext(ctx, q, sb.sub).Scan(&c.hits[sb.hit].Highlight); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: search: %w", err)
		}
	}
	sort.SliceStable(c.hits, func(i, j int) bool {
		a, b := &c.hits[i], &c.hits[j]
		if a.Match != b.Match {
			return a.Match < b.Match
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.ID > b.ID
	})
	return nil
}
