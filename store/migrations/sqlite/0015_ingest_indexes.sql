-- Ingest (issue 14): an index that serves no page is a cost on every
-- notification. payments_seq served only PaymentsChangedSince, which no
-- page or API calls (list pages ask change_seq "anything since N?"), yet
-- every save moves the payment's entry in it: the old entry sits wherever
-- the payment's previous change left it, so at a million payments nearly
-- every notification dirtied one more random page of it for the commit to
-- write.
DROP INDEX payments_seq;
