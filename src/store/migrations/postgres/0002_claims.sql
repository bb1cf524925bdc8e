-- A broker's claim on a lead (an open need), so two brokers do not chase the same one.
-- Times are UTC RFC 3339 with a fixed format (YYYY-MM-DDTHH:MM:SSZ), so they compare as
-- text. An expired claim may be taken over by anyone.
CREATE TABLE claims (
    need_id    TEXT PRIMARY KEY,
    broker_id  TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX claims_broker ON claims (broker_id);
