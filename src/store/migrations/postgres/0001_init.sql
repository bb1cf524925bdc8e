-- The four entity kinds share one table: the canonical record is `doc` (import-format
-- JSON); the other columns are what lists filter on.
CREATE TABLE entities (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    doc        TEXT NOT NULL,
    parent_id  TEXT,
    status     TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX entities_parent ON entities (kind, parent_id);

-- Feedback events, stored once each (fingerprint = hash of the content).
CREATE TABLE feedback (
    seq             BIGSERIAL PRIMARY KEY,
    fingerprint     TEXT NOT NULL UNIQUE,
    need_id         TEXT,
    provider_id     TEXT,
    enterprise_id   TEXT,
    commissioner_id TEXT,
    broker_id       TEXT,
    event           TEXT NOT NULL,
    actor           TEXT NOT NULL,
    at              TEXT,
    doc             TEXT NOT NULL
);
CREATE INDEX feedback_need ON feedback (need_id);
CREATE INDEX feedback_provider ON feedback (provider_id);

-- The change log: one row per change, in the same transaction as the change.
CREATE TABLE changes (
    seq       BIGSERIAL PRIMARY KEY,
    kind      TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL,
    at        TEXT NOT NULL
);
