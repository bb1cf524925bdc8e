-- API keys: only a hash of the secret is kept. `id` is the public part of the key
-- (`dj_<id>_<secret>`), used to find the row; the secret is compared by its SHA-256.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    secret_sha TEXT NOT NULL,
    role       TEXT NOT NULL,
    subject    TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Audit log of writes and admin actions: who, what, when, and how it ended.
CREATE TABLE audit (
    seq     BIGSERIAL PRIMARY KEY,
    at      TEXT NOT NULL,
    key_id  TEXT NOT NULL,
    role    TEXT NOT NULL,
    subject TEXT,
    method  TEXT NOT NULL,
    path    TEXT NOT NULL,
    status  BIGINT NOT NULL,
    detail  TEXT
);
