-- Issue 14, fast read paths: PostgreSQL twin of
-- migrations/sqlite/0014_read_paths.sql. SQLite's trigram vocabulary
-- (search_fts_vocab) has no counterpart: pg_trgm's GIN index answers
-- fragments with its own statistics.

-- The list facet of a payment (store/list_facets.go), as on SQLite; a
-- stored generated column (PostgreSQL has no virtual ones).
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
		ELSE 'other' END || '/' || capture_state) STORED;

CREATE INDEX payments_list_facet ON payments (list_facet, created_at, id);
CREATE INDEX payments_list_currency_facet ON payments (currency, list_facet, created_at, id);
CREATE INDEX payments_list_attention_facet ON payments (list_facet, created_at, id) WHERE flags <> 0;
CREATE INDEX payments_list_attention_currency_facet ON payments (currency, list_facet, created_at, id) WHERE flags <> 0;
ANALYZE payments;
