-- What the Antom client SDK told the buyer (onEventCallback), as the
-- merchant app reported it through the app API. Each row also has a timeline
-- event (events.kind = 'sdk_event'); this table keeps the typed fields for
-- the API, for de-duplicating an app's retries and for the disagreement
-- checks.
CREATE TABLE sdk_events (
	id             INTEGER PRIMARY KEY,
	payment_fk     INTEGER NOT NULL REFERENCES payments (id),
	event_fk       INTEGER NOT NULL REFERENCES events (id),
	event_code     TEXT    NOT NULL,
	result_code    TEXT    NOT NULL DEFAULT '',  -- paymentResultCode, if the SDK gave one
	message        TEXT    NOT NULL DEFAULT '',
	occurred_at    INTEGER NOT NULL,             -- the app's occurredAt, else received_at
	occurred_given INTEGER NOT NULL DEFAULT 0,   -- 1 when the app sent occurredAt
	received_at    INTEGER NOT NULL,
	actor          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sdk_events_payment ON sdk_events (payment_fk, occurred_at, id);

-- The latest payment-result SDK event of a payment (SUCCESSFUL, PROCESSING,
-- FAIL, CANCEL, ERROR): what the buyer was last told. The flags comparing it
-- with the server's status are computed from this row whenever the payment
-- is saved; check_at is when a timed check (no notification after SDK
-- success, processing past the order-close window) is due.
CREATE TABLE sdk_states (
	payment_fk  INTEGER PRIMARY KEY REFERENCES payments (id),
	event_code  TEXT    NOT NULL,
	result_code TEXT    NOT NULL DEFAULT '',
	occurred_at INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	check_at    INTEGER
);
CREATE INDEX sdk_states_check ON sdk_states (check_at) WHERE check_at IS NOT NULL;
