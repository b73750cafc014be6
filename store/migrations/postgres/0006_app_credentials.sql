-- App credentials (issue 9, part 1): secret API keys carry scopes, a
-- payment records the key that created it, and the time it first became
-- final (a payment's client secret stops working 24 hours after that).
--
-- Scopes are comma-separated, from: sessions (create sessions; read and
-- report SDK events on the payments this key created) and payments:read
-- (read every payment). Keys made before this migration get sessions
-- alone: the README once told apps to embed the key, so an old key may be
-- public, and it must not keep reading every payment.
ALTER TABLE api_keys ADD COLUMN scopes TEXT COLLATE "C" NOT NULL DEFAULT 'sessions';

-- The API key that created the payment through POST /api/v1/sessions;
-- NULL for the dashboard's payments (and old ones no key can be told for).
ALTER TABLE payments ADD COLUMN created_by_key BIGINT REFERENCES api_keys (id);
-- When the status first became final (unix ms); NULL while it is not.
ALTER TABLE payments ADD COLUMN final_at BIGINT;

-- Old payments: the key whose name created it, when only one key ever had
-- that name; the last change as the time it became final (a bound from above).
UPDATE payments SET created_by_key = (SELECT k.id FROM api_keys k WHERE 'apikey:' || k.name = payments.created_by)
	WHERE created_by ILIKE 'apikey:%' -- SQLite's LIKE ignores ASCII case
	AND (SELECT count(*) FROM api_keys k WHERE 'apikey:' || k.name = payments.created_by) = 1;
UPDATE payments SET final_at = updated_at
	WHERE status IN ('SESSION_FAILED', 'SUCCESS', 'FAIL', 'CANCELLED', 'EXPIRED');
