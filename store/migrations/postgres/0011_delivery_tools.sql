-- Delivery tools (issue 12, parts 1-3): Antom's attempts per notification,
-- signature diagnosis, and applying again a delivery that could not be applied.
--
-- The query string the delivery arrived with (signature diagnosis tries the
-- path with and without it); '' when none or for older rows.
ALTER TABLE deliveries ADD COLUMN raw_query TEXT COLLATE "C" NOT NULL DEFAULT '';
-- Who applied a not-applied delivery again, and when (unix ms); NULL until then.
ALTER TABLE deliveries ADD COLUMN reapplied_at BIGINT;
ALTER TABLE deliveries ADD COLUMN reapplied_by TEXT COLLATE "C" NOT NULL DEFAULT '';

-- Verified deliveries that could not be applied (answered 500 so that Antom
-- retries) get their own outcome, so they can be listed and applied again.
UPDATE deliveries SET outcome = 'not_applied'
	WHERE verdict = 'ok' AND refused = 0 AND outcome = 'rejected'
	AND parse_error ILIKE 'verified, but could not be applied:%'; -- SQLite's LIKE ignores ASCII case

-- Attempts of one notification share the body's bytes.
CREATE INDEX deliveries_body ON deliveries (body_sha256, id) WHERE body_sha256 <> '';
