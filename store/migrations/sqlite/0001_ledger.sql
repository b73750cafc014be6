-- The payment ledger. Times are INTEGER unix milliseconds (NULL when unknown);
-- money is INTEGER minor units plus an ISO-4217 code.

-- The global change sequence: every write that changes a payment takes the
-- next value, so "anything new since N?" is one indexed read of payments.seq.
CREATE TABLE change_seq (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	value INTEGER NOT NULL
);
INSERT INTO change_seq (id, value) VALUES (1, 0);

CREATE TABLE payments (
	id                 INTEGER PRIMARY KEY,
	payment_request_id TEXT    NOT NULL UNIQUE,
	reference_order_id TEXT    NOT NULL,
	buyer_id           TEXT    NOT NULL DEFAULT '',
	description        TEXT    NOT NULL DEFAULT '',
	amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
	currency           TEXT    NOT NULL,
	capture_mode       TEXT    NOT NULL CHECK (capture_mode IN ('AUTOMATIC', 'MANUAL')),
	three_ds           INTEGER NOT NULL DEFAULT 0,
	terminal_type      TEXT    NOT NULL DEFAULT '',
	os_type            TEXT    NOT NULL DEFAULT '',
	sandbox            INTEGER NOT NULL DEFAULT 0,
	status             TEXT    NOT NULL,
	result_status      TEXT    NOT NULL DEFAULT '',
	result_code        TEXT    NOT NULL DEFAULT '',
	result_message     TEXT    NOT NULL DEFAULT '',
	payment_id         TEXT,              -- Antom's paymentId; NULL until known
	session_data       TEXT    NOT NULL DEFAULT '',
	session_id         TEXT    NOT NULL DEFAULT '',
	session_expires_at INTEGER,
	notify_url         TEXT    NOT NULL DEFAULT '',
	redirect_url       TEXT    NOT NULL DEFAULT '',
	created_by         TEXT    NOT NULL DEFAULT '',
	idempotency_key    TEXT,              -- app API Idempotency-Key; NULL when none
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	paid_at            INTEGER,
	auth_expires_at    INTEGER,
	payment_method     TEXT    NOT NULL DEFAULT '',
	card_brand         TEXT    NOT NULL DEFAULT '',
	card_last4         TEXT    NOT NULL DEFAULT '',
	acquirer_ref       TEXT    NOT NULL DEFAULT '',
	captured_minor     INTEGER NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
	refunded_minor     INTEGER NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
	capture_state      TEXT    NOT NULL DEFAULT 'N/A',
	flags              INTEGER NOT NULL DEFAULT 0,
	settled            INTEGER NOT NULL DEFAULT 0,
	next_poll_at       INTEGER,           -- NULL: not polled
	poll_count         INTEGER NOT NULL DEFAULT 0,
	last_inquiry_at    INTEGER,
	poll_since         INTEGER,           -- start of the current in-flight period
	version            INTEGER NOT NULL DEFAULT 1,
	seq                INTEGER NOT NULL
);
-- Search by every ID a person quotes (exact and prefix), each one index.
CREATE UNIQUE INDEX payments_payment_id ON payments (payment_id) WHERE payment_id IS NOT NULL;
CREATE UNIQUE INDEX payments_idempotency_key ON payments (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX payments_order ON payments (reference_order_id, created_at);
CREATE INDEX payments_buyer ON payments (buyer_id, created_at);
-- List orders: newest first, with the filters of the list page.
CREATE INDEX payments_created ON payments (created_at, id);
CREATE INDEX payments_status_created ON payments (status, created_at, id);
CREATE INDEX payments_currency_created ON payments (currency, created_at, id);
CREATE INDEX payments_capture_state_created ON payments (capture_state, created_at, id);
CREATE INDEX payments_attention_created ON payments (created_at, id) WHERE flags <> 0;
-- Live updates and background work.
CREATE INDEX payments_seq ON payments (seq);
CREATE INDEX payments_next_poll ON payments (next_poll_at) WHERE next_poll_at IS NOT NULL;
CREATE INDEX payments_session_expiry ON payments (session_expires_at) WHERE status = 'SESSION_READY';

-- One row per referenceOrderId, maintained with its payments, so the orders
-- list is keyset-paginated without grouping a million payments.
CREATE TABLE orders (
	reference_order_id TEXT    PRIMARY KEY,
	state              TEXT    NOT NULL,
	attempts           INTEGER NOT NULL,
	first_created_at   INTEGER NOT NULL,
	last_created_at    INTEGER NOT NULL,
	seq                INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX orders_last_created ON orders (last_created_at, reference_order_id);
CREATE INDEX orders_state_last_created ON orders (state, last_created_at, reference_order_id);

CREATE TABLE captures (
	id                 INTEGER PRIMARY KEY,
	payment_fk         INTEGER NOT NULL REFERENCES payments (id),
	capture_request_id TEXT    NOT NULL UNIQUE,
	capture_id         TEXT,              -- Antom's captureId; NULL until known
	amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
	currency           TEXT    NOT NULL,
	status             TEXT    NOT NULL CHECK (status IN ('PROCESSING', 'SUCCESS', 'FAIL')),
	result_status      TEXT    NOT NULL DEFAULT '',
	result_code        TEXT    NOT NULL DEFAULT '',
	result_message     TEXT    NOT NULL DEFAULT '',
	acquirer_ref       TEXT    NOT NULL DEFAULT '',
	actor              TEXT    NOT NULL DEFAULT '',
	created_at         INTEGER NOT NULL,
	captured_at        INTEGER,
	updated_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX captures_capture_id ON captures (capture_id) WHERE capture_id IS NOT NULL;
CREATE INDEX captures_payment ON captures (payment_fk);
CREATE INDEX captures_created ON captures (created_at, id);
CREATE INDEX captures_status_created ON captures (status, created_at, id);

CREATE TABLE refunds (
	id                INTEGER PRIMARY KEY,
	payment_fk        INTEGER NOT NULL REFERENCES payments (id),
	refund_request_id TEXT    NOT NULL UNIQUE,
	refund_id         TEXT,
	amount_minor      INTEGER NOT NULL CHECK (amount_minor > 0),
	currency          TEXT    NOT NULL,
	status            TEXT    NOT NULL CHECK (status IN ('PROCESSING', 'SUCCESS', 'FAIL')),
	result_status     TEXT    NOT NULL DEFAULT '',
	result_code       TEXT    NOT NULL DEFAULT '',
	result_message    TEXT    NOT NULL DEFAULT '',
	reason            TEXT    NOT NULL DEFAULT '',
	acquirer_ref      TEXT    NOT NULL DEFAULT '',
	actor             TEXT    NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	refunded_at       INTEGER,
	updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX refunds_refund_id ON refunds (refund_id) WHERE refund_id IS NOT NULL;
CREATE INDEX refunds_payment ON refunds (payment_fk);

-- Every inbound notification, whatever its verdict.
CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY,
	received_at     INTEGER NOT NULL,
	path            TEXT    NOT NULL,
	headers         TEXT    NOT NULL,     -- JSON object of string arrays
	body            BLOB    NOT NULL,
	client_id       TEXT    NOT NULL DEFAULT '',
	request_time    TEXT    NOT NULL DEFAULT '',
	verdict         TEXT    NOT NULL CHECK (verdict IN ('ok', 'missing', 'bad', 'unverifiable')),
	parse_error     TEXT    NOT NULL DEFAULT '',
	notify_type     TEXT    NOT NULL DEFAULT '',
	result_status   TEXT    NOT NULL DEFAULT '',
	result_code     TEXT    NOT NULL DEFAULT '',
	payment_id      TEXT    NOT NULL DEFAULT '',  -- paymentId from the payload
	subject_id      TEXT    NOT NULL DEFAULT '',  -- captureId / refundId / paymentId from the payload
	dedupe_key      TEXT,                        -- NULL unless verified and parsed
	duplicate_of    INTEGER REFERENCES deliveries (id),
	outcome         TEXT    NOT NULL,
	response_status INTEGER NOT NULL DEFAULT 0,
	response_body   TEXT    NOT NULL DEFAULT '',
	payment_fk      INTEGER REFERENCES payments (id)
);
CREATE INDEX deliveries_dedupe ON deliveries (dedupe_key, id) WHERE dedupe_key IS NOT NULL;
CREATE INDEX deliveries_verdict ON deliveries (verdict, id);
CREATE INDEX deliveries_type ON deliveries (notify_type, id);
CREATE INDEX deliveries_outcome ON deliveries (outcome, id);
CREATE INDEX deliveries_payment ON deliveries (payment_fk, id);
CREATE INDEX deliveries_unknown ON deliveries (payment_id) WHERE outcome = 'unknown_payment';

-- The per-payment timeline.
CREATE TABLE events (
	id          INTEGER PRIMARY KEY,
	payment_fk  INTEGER NOT NULL REFERENCES payments (id),
	kind        TEXT    NOT NULL,
	actor       TEXT    NOT NULL DEFAULT '',
	summary     TEXT    NOT NULL DEFAULT '',
	detail      TEXT    NOT NULL DEFAULT '',
	delivery_fk INTEGER REFERENCES deliveries (id) DEFERRABLE INITIALLY DEFERRED, -- the delivery row is written after its event
	at          INTEGER NOT NULL
);
CREATE INDEX events_payment ON events (payment_fk, at, id);
-- For the foreign key check when a delivery row is inserted after its event.
CREATE INDEX events_delivery ON events (delivery_fk);
