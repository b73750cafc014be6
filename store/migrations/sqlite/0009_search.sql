-- Search that finds (issue 11): every ID a person may paste, normalized the
-- way store.NormalizeID does it (lower case; spaces, tabs, line breaks and
-- dashes removed), one row per ID in search_keys. Exact and prefix searches
-- read the (key) index; fragments of 3 or more characters read search_fts,
-- an FTS5 trigram index over the same rows (and the keys not yet in it). It stores neither positions
-- (detail=none) nor sizes (columnsize=0): the search ANDs a fragment's
-- trigrams and checks each candidate key with GLOB itself.
--
-- kind: 1 paymentRequestId, 2 paymentId, 3 referenceOrderId, 4 buyer ID,
-- 5 acquirer reference, 6 captureRequestId, 7 captureId, 8 a capture's
-- acquirer reference, 9 refundRequestId, 10 refundId, 11 a refund's
-- acquirer reference. sub_fk is the capture's or refund's rowid (0 for the
-- payment's own IDs), so a hit can name the capture or refund it matched.
--
-- Triggers keep the keys with their rows. An UPDATE trigger fires only when
-- the statement assigns one of its columns and the value really changed, so
-- a notification that changes no ID writes nothing here. Payments, captures
-- and refunds are never deleted.
CREATE TABLE search_keys (
	id         INTEGER PRIMARY KEY,
	key        TEXT    NOT NULL,
	payment_fk INTEGER NOT NULL,
	kind       INTEGER NOT NULL,
	sub_fk     INTEGER NOT NULL DEFAULT 0
);

-- Backfill, oldest payment first, so a newer rowid is a newer payment and a
-- fragment search can read the newest matches first.
INSERT INTO search_keys (key, payment_fk, kind, sub_fk)
SELECT key, payment_fk, kind, sub_fk FROM (
	SELECT lower(replace(replace(replace(replace(replace(payment_request_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AS key, id AS payment_fk, 1 AS kind, 0 AS sub_fk FROM payments
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(payment_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), id, 2, 0 FROM payments WHERE payment_id IS NOT NULL
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(reference_order_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), id, 3, 0 FROM payments
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(buyer_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), id, 4, 0 FROM payments
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), id, 5, 0 FROM payments
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(capture_request_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), payment_fk, 6, id FROM captures
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(capture_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), payment_fk, 7, id FROM captures WHERE capture_id IS NOT NULL
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), payment_fk, 8, id FROM captures
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(refund_request_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), payment_fk, 9, id FROM refunds
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(refund_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), payment_fk, 10, id FROM refunds WHERE refund_id IS NOT NULL
	UNION ALL SELECT lower(replace(replace(replace(replace(replace(acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), payment_fk, 11, id FROM refunds
) WHERE key <> '' ORDER BY payment_fk, kind, sub_fk;

CREATE INDEX search_keys_key ON search_keys (key, payment_fk);

CREATE VIRTUAL TABLE search_fts USING fts5 (key, content = 'search_keys', content_rowid = 'id',
	tokenize = 'trigram case_sensitive 1', detail = 'none', columnsize = 0);
INSERT INTO search_fts (search_fts) VALUES ('rebuild');

-- The trigram index is not kept by a trigger: a commit that adds to an FTS5
-- index writes a new segment and merges, which tripled the cost of a first
-- notification. Store.IndexSearchKeys adds the keys above upto every second
-- in one transaction; a fragment search reads those few newer keys directly.
CREATE TABLE search_fts_indexed (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	upto INTEGER NOT NULL  -- search_keys.id up to which search_fts is complete
);
INSERT INTO search_fts_indexed (id, upto) SELECT 1, coalesce(max(id), 0) FROM search_keys;
-- A deleted key leaves the trigram index too. A new key takes the rowid
-- after the highest one left, which may be at or below upto once the
-- highest keys are deleted: upto comes down to it, so the new key is
-- indexed. (Without AUTOINCREMENT, which would cost a write per insert.)
CREATE TRIGGER search_keys_ad AFTER DELETE ON search_keys
WHEN old.id <= (SELECT upto FROM search_fts_indexed WHERE id = 1) BEGIN
	INSERT INTO search_fts (search_fts, rowid, key) VALUES ('delete', old.id, old.key);
	UPDATE search_fts_indexed SET upto = (SELECT coalesce(max(id), 0) FROM search_keys)
	WHERE id = 1 AND upto > (SELECT coalesce(max(id), 0) FROM search_keys);
END;

-- Card last four, newest first, and narrowed by a date or by an amount.
-- Written once per card payment, when its last four become known.
CREATE INDEX payments_card_last4 ON payments (card_last4, created_at, id) WHERE card_last4 <> '';
CREATE INDEX payments_card_last4_amount ON payments (card_last4, amount_minor, created_at, id) WHERE card_last4 <> '';

CREATE TRIGGER search_payments_ai AFTER INSERT ON payments BEGIN
	INSERT INTO search_keys (key, payment_fk, kind)
	SELECT lower(replace(replace(replace(replace(replace(v, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.id, k FROM (SELECT 1 AS k, new.payment_request_id AS v
		UNION ALL SELECT 2, new.payment_id UNION ALL SELECT 3, new.reference_order_id
		UNION ALL SELECT 4, new.buyer_id UNION ALL SELECT 5, new.acquirer_ref)
	WHERE lower(replace(replace(replace(replace(replace(v, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_payments_au_payment_request_id AFTER UPDATE OF payment_request_id ON payments WHEN old.payment_request_id IS NOT new.payment_request_id BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.payment_request_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.id AND kind = 1 AND sub_fk = 0;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.payment_request_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.id, 1, 0 WHERE lower(replace(replace(replace(replace(replace(new.payment_request_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_payments_au_payment_id AFTER UPDATE OF payment_id ON payments WHEN old.payment_id IS NOT new.payment_id BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.payment_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.id AND kind = 2 AND sub_fk = 0;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.payment_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.id, 2, 0 WHERE lower(replace(replace(replace(replace(replace(new.payment_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_payments_au_reference_order_id AFTER UPDATE OF reference_order_id ON payments WHEN old.reference_order_id IS NOT new.reference_order_id BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.reference_order_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.id AND kind = 3 AND sub_fk = 0;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.reference_order_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.id, 3, 0 WHERE lower(replace(replace(replace(replace(replace(new.reference_order_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_payments_au_buyer_id AFTER UPDATE OF buyer_id ON payments WHEN old.buyer_id IS NOT new.buyer_id BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.buyer_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.id AND kind = 4 AND sub_fk = 0;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.buyer_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.id, 4, 0 WHERE lower(replace(replace(replace(replace(replace(new.buyer_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_payments_au_acquirer_ref AFTER UPDATE OF acquirer_ref ON payments WHEN old.acquirer_ref IS NOT new.acquirer_ref BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.id AND kind = 5 AND sub_fk = 0;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.id, 5, 0 WHERE lower(replace(replace(replace(replace(replace(new.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_captures_au_capture_id AFTER UPDATE OF capture_id ON captures WHEN old.capture_id IS NOT new.capture_id BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.capture_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.payment_fk AND kind = 7 AND sub_fk = old.id;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.capture_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.payment_fk, 7, new.id WHERE lower(replace(replace(replace(replace(replace(new.capture_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_captures_au_acquirer_ref AFTER UPDATE OF acquirer_ref ON captures WHEN old.acquirer_ref IS NOT new.acquirer_ref BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.payment_fk AND kind = 8 AND sub_fk = old.id;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.payment_fk, 8, new.id WHERE lower(replace(replace(replace(replace(replace(new.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_refunds_au_refund_id AFTER UPDATE OF refund_id ON refunds WHEN old.refund_id IS NOT new.refund_id BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.refund_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.payment_fk AND kind = 10 AND sub_fk = old.id;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.refund_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.payment_fk, 10, new.id WHERE lower(replace(replace(replace(replace(replace(new.refund_id, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_refunds_au_acquirer_ref AFTER UPDATE OF acquirer_ref ON refunds WHEN old.acquirer_ref IS NOT new.acquirer_ref BEGIN
	DELETE FROM search_keys WHERE key = lower(replace(replace(replace(replace(replace(old.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) AND payment_fk = old.payment_fk AND kind = 11 AND sub_fk = old.id;
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk) SELECT lower(replace(replace(replace(replace(replace(new.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.payment_fk, 11, new.id WHERE lower(replace(replace(replace(replace(replace(new.acquirer_ref, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_captures_ai AFTER INSERT ON captures BEGIN
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk)
	SELECT lower(replace(replace(replace(replace(replace(v, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.payment_fk, k, new.id FROM (SELECT 6 AS k, new.capture_request_id AS v
		UNION ALL SELECT 7, new.capture_id UNION ALL SELECT 8, new.acquirer_ref)
	WHERE lower(replace(replace(replace(replace(replace(v, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
CREATE TRIGGER search_refunds_ai AFTER INSERT ON refunds BEGIN
	INSERT INTO search_keys (key, payment_fk, kind, sub_fk)
	SELECT lower(replace(replace(replace(replace(replace(v, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')), new.payment_fk, k, new.id FROM (SELECT 9 AS k, new.refund_request_id AS v
		UNION ALL SELECT 10, new.refund_id UNION ALL SELECT 11, new.acquirer_ref)
	WHERE lower(replace(replace(replace(replace(replace(v, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), '')) <> '';
END;
