-- The refunds export lists refunds across payments newest first, keyset
-- paginated on (created_at, id), optionally by status, like captures.
CREATE INDEX refunds_created ON refunds (created_at, id);
CREATE INDEX refunds_status_created ON refunds (status, created_at, id);
