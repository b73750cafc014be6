-- Card, authorisation, acquirer and settlement details (issue 10, part 3).
--
-- What a person searches or filters by gets a column: the refusal reason
-- and merchant advice code of a declined payment (the failure explanation
-- reads them), and a refund's ARN and RRN (what a buyer's bank quotes).
-- The rest is one JSON document per row, written by the store from typed
-- Go structs (store.CardDetails, store.BuyerDetails, store.TxnDetails) with
-- every untrusted string bounded, so a new Antom field costs no migration.
-- '' means nothing is known yet; rows older than this migration have ''.
ALTER TABLE payments ADD COLUMN refusal_reason_raw TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN merchant_advice_code TEXT COLLATE "C" NOT NULL DEFAULT '';
-- Card, authorisation (auth code, network transaction ID, AVS, CVV, RRN,
-- 3-D Secure), acquirer and settlement amounts.
ALTER TABLE payments ADD COLUMN card_details TEXT COLLATE "C" NOT NULL DEFAULT '';
-- Buyer-identifying details (cardholder name, PSP customer): kept apart so
-- that only pages for roles with buyer-data access need to read them.
ALTER TABLE payments ADD COLUMN buyer_details TEXT COLLATE "C" NOT NULL DEFAULT '';

ALTER TABLE captures ADD COLUMN details TEXT COLLATE "C" NOT NULL DEFAULT '';

ALTER TABLE refunds ADD COLUMN arn TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN rrn TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN details TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX refunds_arn ON refunds (arn) WHERE arn <> '';
CREATE INDEX refunds_rrn ON refunds (rrn) WHERE rrn <> '';
