-- Each staff user's time zone (issue 11): an IANA name such as
-- Asia/Singapore, in which the dashboard shows them every time. Empty means
-- no preference: times are shown in UTC. It is set from the browser's zone
-- at the first sign-in and changed on the Account page.
ALTER TABLE users ADD COLUMN time_zone TEXT COLLATE "C" NOT NULL DEFAULT '';
