-- The active ranker, published for every process sharing this store (replicas with
-- their own data directories): its version and its file (NULL: the model shipped in the
-- binary). Processes compare `version` with their own active model on each follow tick.
CREATE TABLE active_model (
    slot    TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    doc     TEXT,
    set_at  TEXT NOT NULL
);

-- Text compares byte-wise, as on SQLite, whatever the database's default collation:
-- ids (`P-1`, `P_1`, `p-2`) list and page in the same order on both backends, the
-- change log joins entities under one collation, and RFC 3339 times compare as text.
ALTER TABLE entities
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN parent_id TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C",
    ALTER COLUMN updated_at TYPE TEXT COLLATE "C";
ALTER TABLE changes
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN entity_id TYPE TEXT COLLATE "C",
    ALTER COLUMN at TYPE TEXT COLLATE "C";
ALTER TABLE feedback
    ALTER COLUMN fingerprint TYPE TEXT COLLATE "C",
    ALTER COLUMN need_id TYPE TEXT COLLATE "C",
    ALTER COLUMN provider_id TYPE TEXT COLLATE "C",
    ALTER COLUMN enterprise_id TYPE TEXT COLLATE "C",
    ALTER COLUMN commissioner_id TYPE TEXT COLLATE "C",
    ALTER COLUMN broker_id TYPE TEXT COLLATE "C",
    ALTER COLUMN at TYPE TEXT COLLATE "C";
ALTER TABLE claims
    ALTER COLUMN need_id TYPE TEXT COLLATE "C",
    ALTER COLUMN broker_id TYPE TEXT COLLATE "C",
    ALTER COLUMN claimed_at TYPE TEXT COLLATE "C",
    ALTER COLUMN expires_at TYPE TEXT COLLATE "C";
ALTER TABLE active_model
    ALTER COLUMN slot TYPE TEXT COLLATE "C",
    ALTER COLUMN version TYPE TEXT COLLATE "C";
