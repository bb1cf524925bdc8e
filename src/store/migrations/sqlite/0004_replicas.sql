-- The active ranker, published for every process sharing this store (replicas with
-- their own data directories): its version and its file (NULL: the model shipped in the
-- binary). Processes compare `version` with their own active model on each follow tick.
CREATE TABLE active_model (
    slot    TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    doc     TEXT,
    set_at  TEXT NOT NULL
);
