-- Staff accounts, their server-side sessions, API keys for the merchant app,
-- and the append-only audit log. Times are INTEGER unix milliseconds.

CREATE TABLE users (
	id                  INTEGER PRIMARY KEY,
	email               TEXT    NOT NULL UNIQUE,  -- stored lower-case
	name                TEXT    NOT NULL DEFAULT '',
	role                TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'support')),
	password_hash       TEXT    NOT NULL,         -- PHC-format argon2id
	disabled_at         INTEGER,                  -- NULL: active
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	password_changed_at INTEGER NOT NULL,
	last_login_at       INTEGER
);

-- One row per signed-in browser. The cookie carries a random token; only its
-- SHA-256 is stored, so a database read does not yield usable cookies.
-- Deleting the row ends the session whatever the cookie says.
CREATE TABLE staff_sessions (
	id_hash               TEXT    PRIMARY KEY,
	user_id               INTEGER NOT NULL REFERENCES users (id),
	created_at            INTEGER NOT NULL,
	last_seen_at          INTEGER NOT NULL,
	password_confirmed_at INTEGER NOT NULL,        -- login or step-up
	remote_addr           TEXT    NOT NULL DEFAULT '',
	user_agent            TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);
CREATE INDEX staff_sessions_last_seen ON staff_sessions (last_seen_at);

-- API keys for /api/v1: only the SHA-256 of the key is stored.
CREATE TABLE api_keys (
	id           INTEGER PRIMARY KEY,
	name         TEXT    NOT NULL,
	prefix       TEXT    NOT NULL,                 -- first characters, to recognise a key
	key_hash     TEXT    NOT NULL UNIQUE,
	created_by   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER,
	revoked_by   TEXT    NOT NULL DEFAULT ''
);

-- Who did what, to which payment, before and after, when and from where.
CREATE TABLE audit_log (
	id                 INTEGER PRIMARY KEY,
	at                 INTEGER NOT NULL,
	actor              TEXT    NOT NULL,           -- "user:<email>", "apikey:<name>", "cli", "system"
	actor_user_id      INTEGER,
	action             TEXT    NOT NULL,           -- e.g. "payment.capture", "user.create"
	payment_request_id TEXT    NOT NULL DEFAULT '',
	target             TEXT    NOT NULL DEFAULT '', -- e.g. "user:bob@example.com"
	before_json        TEXT    NOT NULL DEFAULT '',
	after_json         TEXT    NOT NULL DEFAULT '',
	remote_addr        TEXT    NOT NULL DEFAULT '',
	request_id         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_payment ON audit_log (payment_request_id, id) WHERE payment_request_id <> '';
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
