-- Refused deliveries (issue 9, part 3): a delivery not accepted as Antom's
-- (its signature is not ok, it is too large, or its request-time is outside
-- the allowed window) keeps only the first 4 KiB of its body and of its
-- headers, with the full body's length and SHA-256, and is deleted after the
-- retention period. Verified deliveries are kept whole, as before.
ALTER TABLE deliveries ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;      -- 1: summarised, deleted after the retention period
ALTER TABLE deliveries ADD COLUMN body_size BIGINT NOT NULL DEFAULT 0;    -- bytes of body received (before summarising)
ALTER TABLE deliveries ADD COLUMN body_sha256 TEXT COLLATE "C" NOT NULL DEFAULT '';    -- hex SHA-256 of those bytes; '' for rows older than this migration
ALTER TABLE deliveries ADD COLUMN headers_size BIGINT NOT NULL DEFAULT 0; -- bytes of the headers' JSON before summarising
ALTER TABLE deliveries ADD COLUMN summarised BIGINT NOT NULL DEFAULT 0;   -- 1: body or headers were cut to the budget
-- request-time as read (antom.ParseRequestTime): how far it is from
-- received_at (received minus request-time, ms; NULL when absent or
-- unparseable) and why it could not be read.
ALTER TABLE deliveries ADD COLUMN request_skew_ms BIGINT;
ALTER TABLE deliveries ADD COLUMN request_time_error TEXT COLLATE "C" NOT NULL DEFAULT '';

UPDATE deliveries SET refused = 1 WHERE verdict <> 'ok';
UPDATE deliveries SET body_size = octet_length(body), headers_size = octet_length(headers);

-- The retention job's one indexed read.
CREATE INDEX deliveries_refused_received ON deliveries (received_at) WHERE refused = 1;

-- Refused deliveries that were not stored at all (rate limited), counted
-- per UTC day and source address. At most a fixed number of sources per
-- day have a row of their own; the rest are counted under source '*'.
CREATE TABLE refused_drops (
	day      TEXT COLLATE "C" NOT NULL,               -- UTC date, YYYY-MM-DD
	source   TEXT COLLATE "C" NOT NULL,               -- client address (IPv6: its /64), or '*'
	dropped  BIGINT           NOT NULL CHECK (dropped > 0),
	first_at BIGINT           NOT NULL,
	last_at  BIGINT           NOT NULL,
	PRIMARY KEY (day, source)
);
