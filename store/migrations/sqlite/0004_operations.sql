-- Money operations as durable intents. Every capture, cancel and refund
-- Paydesk asks Antom for is a row here, committed before the first send.
-- While state is 'pending' the operation is owned by the reconciler: it is
-- sent (again, with the same request ID) or settled with an inquiry when
-- next_attempt_at comes, until Antom gives a definitive answer.
CREATE TABLE operations (
	id              INTEGER PRIMARY KEY,
	payment_fk      INTEGER NOT NULL REFERENCES payments (id),
	kind            TEXT    NOT NULL CHECK (kind IN ('capture', 'cancel', 'refund')),
	request_id      TEXT    NOT NULL,             -- captureRequestId, refundRequestId; paymentRequestId for a cancel
	amount_minor    INTEGER NOT NULL DEFAULT 0,   -- 0 for a cancel
	currency        TEXT    NOT NULL DEFAULT '',
	reason          TEXT    NOT NULL DEFAULT '',  -- refundReason
	actor           TEXT    NOT NULL DEFAULT '',
	state           TEXT    NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
	mode            TEXT    NOT NULL DEFAULT 'send' CHECK (mode IN ('send', 'inquire')),
	attempts        INTEGER NOT NULL DEFAULT 0,   -- sends and inquiries made
	unknown         INTEGER NOT NULL DEFAULT 0,   -- 1 once an attempt ended without a definitive answer
	next_attempt_at INTEGER,                      -- NULL unless pending
	last_attempt_at INTEGER,
	last_answer     TEXT    NOT NULL DEFAULT '',  -- what the last attempt learnt, in words
	result_code     TEXT    NOT NULL DEFAULT '',  -- Antom's definitive code, once known
	result_message  TEXT    NOT NULL DEFAULT '',
	overdue         INTEGER NOT NULL DEFAULT 0,   -- 1 once past Antom's window while still pending
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	resolved_at     INTEGER
);
CREATE INDEX operations_payment ON operations (payment_fk, id);
CREATE INDEX operations_request ON operations (request_id);
CREATE INDEX operations_due ON operations (next_attempt_at) WHERE state = 'pending';
-- One operation of a kind in flight per payment.
CREATE UNIQUE INDEX operations_one_pending ON operations (payment_fk, kind) WHERE state = 'pending';

-- Captures and refunds staff asked for before this migration and whose
-- outcome was never learnt: the reconciler takes them over.
INSERT INTO operations (payment_fk, kind, request_id, amount_minor, currency, actor, state, mode,
	attempts, unknown, next_attempt_at, last_answer, created_at, updated_at)
SELECT payment_fk, 'capture', capture_request_id, amount_minor, currency, actor, 'pending', 'send',
	1, 1, created_at, 'outcome unknown (recorded before operations were tracked)', created_at, updated_at
FROM captures c WHERE status = 'PROCESSING' AND actor <> 'antom'
	AND id = (SELECT max(id) FROM captures c2 WHERE c2.payment_fk = c.payment_fk AND c2.status = 'PROCESSING' AND c2.actor <> 'antom');
INSERT INTO operations (payment_fk, kind, request_id, amount_minor, currency, reason, actor, state, mode,
	attempts, unknown, next_attempt_at, last_answer, created_at, updated_at)
SELECT payment_fk, 'refund', refund_request_id, amount_minor, currency, reason, actor, 'pending', 'send',
	1, 1, created_at, 'outcome unknown (recorded before operations were tracked)', created_at, updated_at
FROM refunds r WHERE status = 'PROCESSING' AND actor <> 'antom'
	AND id = (SELECT max(id) FROM refunds r2 WHERE r2.payment_fk = r.payment_fk AND r2.status = 'PROCESSING' AND r2.actor <> 'antom');
