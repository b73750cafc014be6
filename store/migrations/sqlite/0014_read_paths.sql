-- Issue 14, fast read paths.
--
-- The vocabulary of the trigram index: how many search keys hold each
-- trigram. A fragment search reads the lists of its rarest trigrams
-- (store/search_trigrams.go); the counts are read once at start. A
-- virtual table over search_fts: it stores nothing.
CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row');

-- The list facet of a payment (store/list_facets.go): its display status's
-- key, without the time-bound part (a SESSION_READY payment is
-- "awaiting_payment"; the list query tests its expiry), "/", its capture
-- state. A virtual column: computed from the row, stored only in the
-- indexes below. The expression is store.listFacetSQL (a test compares them).
ALTER TABLE payments ADD COLUMN list_facet TEXT GENERATED ALWAYS AS (CASE
		WHEN status = 'SUCCESS' AND refunded_minor > 0 AND refunded_minor < captured_minor THEN 'partially_refunded'
		WHEN status = 'SUCCESS' AND refunded_minor > 0 THEN 'refunded'
		WHEN status = 'SUCCESS' AND capture_state = 'PARTIAL' THEN 'partially_captured'
		WHEN status = 'SUCCESS' AND capture_state = 'CAPTURED' THEN 'captured'
		WHEN status = 'SUCCESS' THEN 'authorised'
		WHEN status IN ('CREATED', 'SESSION_READY') THEN 'awaiting_payment'
		WHEN status = 'PROCESSING' THEN 'processing'
		WHEN status = 'CANCELLED' AND paid_at IS NOT NULL THEN 'cancelled'
		WHEN status = 'CANCELLED' THEN 'closed_unpaid'
		WHEN status = 'FAIL' AND result_code = 'ORDER_IS_CLOSED' AND paid_at IS NULL THEN 'closed_unpaid'
		WHEN status = 'FAIL' THEN 'declined'
		WHEN status = 'EXPIRED' THEN 'expired'
		WHEN status = 'SESSION_FAILED' THEN 'session_failed'
		ELSE 'other' END || '/' || capture_state) VIRTUAL;

-- A filtered list page reads one facet's rows (in one currency), newest
-- first: each range holds exactly the rows asked for, so a page reads at
-- most a page per facet. The attention pair holds only the payments with
-- a flag set.
CREATE INDEX payments_list_facet ON payments (list_facet, created_at, id);
CREATE INDEX payments_list_currency_facet ON payments (currency, list_facet, created_at, id);
CREATE INDEX payments_list_attention_facet ON payments (list_facet, created_at, id) WHERE flags <> 0;
CREATE INDEX payments_list_attention_currency_facet ON payments (currency, list_facet, created_at, id) WHERE flags <> 0;
