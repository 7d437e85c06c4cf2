-- Version 12 (issue 23): requests with approval. A request (领用, 退库, 维保, 转移, 调拨) has an
-- initiator, a reason and one or more lines, each naming an asset and a count and keeping what
-- the asset was when asked (owner, department, count), so a line whose asset changed since is
-- found invalid when it is approved. Frozen: never edit it; a change is a new step.
CREATE TABLE request (
    id                   INTEGER PRIMARY KEY,
    entity_id            INTEGER NOT NULL REFERENCES entity(id),
    kind                 INTEGER NOT NULL CHECK (kind >= 1 AND kind <= 5),
    initiator_id         INTEGER NOT NULL REFERENCES user(id),
    reason               TEXT NOT NULL DEFAULT '',
    target_user_id       INTEGER REFERENCES user(id),
    target_department_id INTEGER REFERENCES department(id),
    state                INTEGER NOT NULL DEFAULT 0 CHECK (state >= 0 AND state <= 5),
    created_at           INTEGER NOT NULL,
    reviewer_id          INTEGER REFERENCES user(id),
    reviewed_at          INTEGER,
    review_reason        TEXT,
    finished_at          INTEGER,
    -- An approved request taken back (state 5 已撤销): when and by whom.
    undone_at            INTEGER,
    undoer_id            INTEGER REFERENCES user(id)
);
CREATE INDEX request_entity_state ON request(entity_id, state, id);
CREATE INDEX request_initiator ON request(initiator_id, id);

CREATE TABLE request_line (
    request_id    INTEGER NOT NULL REFERENCES request(id),
    seq           INTEGER NOT NULL,
    asset_id      INTEGER NOT NULL,
    count         INTEGER NOT NULL CHECK (count >= 1),
    owner_id      INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    asset_count   INTEGER NOT NULL,
    state         INTEGER NOT NULL DEFAULT 0 CHECK (state >= 0 AND state <= 3),
    invalid       TEXT,
    -- For part of a quantity asset's count: the asset split off it, which the line moved.
    split_id      INTEGER,
    -- The revision the executed line left its asset at (for a split, the part's) and, for a
    -- split, the rest's: an undo takes back only what nothing changed since.
    revision      INTEGER,
    rest_revision INTEGER,
    PRIMARY KEY (request_id, seq)
) WITHOUT ROWID;
CREATE INDEX request_line_pending ON request_line(asset_id) WHERE state = 0;

-- A history entry names the request whose approval made its change.
ALTER TABLE asset_history ADD COLUMN request_id INTEGER;
