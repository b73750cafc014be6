-- The notifications whose effect was considered, one row per dedupe key:
-- the key is unique, and a delivery claims it with INSERT … ON CONFLICT DO
-- NOTHING (store/ingest.go claimNotification), so two deliveries of one
-- notification can never both be applied, on any backend, whatever runs
-- beside them. delivery_id is the delivery that claimed it; later ones are
-- its duplicates. Deliveries about a payment Paydesk did not know claim
-- nothing (they are applied when the payment is known).
CREATE TABLE applied_notifications (
	dedupe_key  TEXT COLLATE "C" PRIMARY KEY,
	delivery_id BIGINT NOT NULL
);

INSERT INTO applied_notifications (dedupe_key, delivery_id)
	SELECT dedupe_key, min(id) FROM deliveries
	WHERE dedupe_key IS NOT NULL AND outcome NOT IN ('unknown_payment', 'rejected')
	GROUP BY dedupe_key;
