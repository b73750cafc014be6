-- State that several Paydesk replicas on one database must share (issue:
-- PostgreSQL backend): nothing of it may live in one process's memory.

-- Password attempts counted by the login and step-up throttles
-- (store/throttle.go): one row per reserved attempt and throttle key. A
-- failed attempt stays until it leaves the window (expires_at, unix ms);
-- one that succeeded is deleted at once. Expired rows are pruned as new
-- attempts arrive, so the table holds at most the attempts of one window.
CREATE TABLE auth_attempts (
	id           INTEGER PRIMARY KEY,
	throttle_key TEXT    NOT NULL,
	attempted_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
);
CREATE INDEX auth_attempts_key ON auth_attempts (throttle_key, attempted_at);
CREATE INDEX auth_attempts_expires ON auth_attempts (expires_at);

-- Secrets Paydesk generates for itself and every replica must agree on
-- (the session key when PAYDESK_SESSION_KEY is not set): inserted once if
-- absent, then read by everyone (store/secrets.go).
CREATE TABLE app_secrets (
	name       TEXT    PRIMARY KEY,
	value      TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
