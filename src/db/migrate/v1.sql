-- Version 1 of the schema, as b1d9040 created it (its schema.sql, but for this header). Frozen:
-- databases made by it exist, and the upgrade steps start from it; never edit it.

-- A company. Everything below belongs to exactly one entity.
CREATE TABLE entity (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Department tree inside an entity; names are unique per entity.
CREATE TABLE department (
    id        INTEGER PRIMARY KEY,
    entity_id INTEGER NOT NULL REFERENCES entity(id),
    parent_id INTEGER REFERENCES department(id),
    name      TEXT NOT NULL,
    UNIQUE (entity_id, name)
);
CREATE INDEX department_parent ON department(parent_id);

-- character: 1 staff, 2 asset manager, 3 system admin, 4 super admin.
CREATE TABLE user (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    email         TEXT UNIQUE,
    password_hash TEXT NOT NULL,            -- argon2id PHC string, never the password
    character     INTEGER NOT NULL CHECK (character BETWEEN 1 AND 4),
    lock          INTEGER NOT NULL DEFAULT 0 CHECK (lock IN (0, 1)),
    entity_id     INTEGER REFERENCES entity(id),
    department_id INTEGER REFERENCES department(id)
);
CREATE INDEX user_entity ON user(entity_id);
CREATE INDEX user_department ON user(department_id);

-- Login sessions; last_seen (unix seconds) drives idle expiry.
CREATE TABLE session (
    token     TEXT PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_user ON session(user_id);

-- Failed logins per identity, for the brute-force slowdown.
CREATE TABLE login_failure (
    identity     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_failure INTEGER NOT NULL
) WITHOUT ROWID;

-- Category tree per department. class: NULL accepts both classes, 0 quantity, 1 item.
-- fixed = 1 for the three nodes every department starts with.
CREATE TABLE category (
    id            INTEGER PRIMARY KEY,
    department_id INTEGER NOT NULL REFERENCES department(id),
    parent_id     INTEGER REFERENCES category(id),
    name          TEXT NOT NULL,
    class         INTEGER CHECK (class IN (0, 1)),
    fixed         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (department_id, name)
);
CREATE INDEX category_parent ON category(parent_id);

-- Assets. Money in integer cents; create_day = days since 1970-01-01 (local date), so
-- depreciation is plain integer arithmetic in SQL (see db/assets.rs).
CREATE TABLE asset (
    id                  INTEGER PRIMARY KEY,
    entity_id           INTEGER NOT NULL REFERENCES entity(id),
    department_id       INTEGER NOT NULL REFERENCES department(id),
    category_id         INTEGER NOT NULL REFERENCES category(id),
    parent_id           INTEGER REFERENCES asset(id),
    owner_id            INTEGER NOT NULL REFERENCES user(id),
    name                TEXT NOT NULL,
    asset_class         INTEGER NOT NULL CHECK (asset_class IN (0, 1)),
    initial_price_cents INTEGER NOT NULL CHECK (initial_price_cents >= 0),
    description         TEXT NOT NULL DEFAULT '',
    position            TEXT NOT NULL DEFAULT '',
    expire              INTEGER NOT NULL DEFAULT 0 CHECK (expire IN (0, 1)),
    count               INTEGER NOT NULL CHECK (count >= 1),
    create_day          INTEGER NOT NULL,
    deadline            INTEGER NOT NULL CHECK (deadline >= 0),
    status              INTEGER NOT NULL CHECK (status IN (1, 2, 3)),
    warning_amount      INTEGER NOT NULL DEFAULT -1,
    warning_date        INTEGER NOT NULL DEFAULT -1
);
CREATE INDEX asset_department ON asset(department_id, name);
CREATE INDEX asset_owner ON asset(owner_id);
CREATE INDEX asset_category ON asset(category_id);
CREATE INDEX asset_parent ON asset(parent_id) WHERE parent_id IS NOT NULL;

-- Asynchronous import/export tasks. port_type 1 import, 0 export.
-- finish 0 queued or running, 1 all rows succeeded, 2 at least one row failed.
-- Rows with seq in [next_seq, end_seq) are still to run; next_seq is the checkpoint, moved in the
-- same transaction as the assets, failures and counters of each batch.
CREATE TABLE task (
    id             INTEGER PRIMARY KEY,
    entity_id      INTEGER NOT NULL REFERENCES entity(id),
    creator_id     INTEGER NOT NULL REFERENCES user(id),
    create_time    TEXT NOT NULL,
    port_type      INTEGER NOT NULL CHECK (port_type IN (0, 1)),
    number_need    INTEGER NOT NULL,
    number_succeed INTEGER NOT NULL DEFAULT 0,
    number_failed  INTEGER NOT NULL DEFAULT 0,
    finish         INTEGER NOT NULL DEFAULT 0 CHECK (finish IN (0, 1, 2)),
    next_seq       INTEGER NOT NULL DEFAULT 0,
    end_seq        INTEGER NOT NULL
);
CREATE INDEX task_entity ON task(entity_id);
CREATE INDEX task_unfinished ON task(finish) WHERE finish = 0;

-- Rows still to run, stored as submitted in chunks (a JSON array of the raw row texts), so the
-- POST writes a few large rows instead of one per asset. A chunk is deleted by the batch that
-- consumes it. lines: JSON array of the file line of each row (file uploads), else NULL.
CREATE TABLE task_chunk (
    task_id   INTEGER NOT NULL REFERENCES task(id),
    first_seq INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    rows      TEXT NOT NULL,
    lines     TEXT,
    PRIMARY KEY (task_id, first_seq)
) WITHOUT ROWID;

-- Failed rows, exactly as submitted, with the reason.
CREATE TABLE task_failure (
    task_id INTEGER NOT NULL REFERENCES task(id),
    seq     INTEGER NOT NULL,
    line    INTEGER,
    row     TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;

-- Snapshots of the asset view taken by export tasks, in request order.
CREATE TABLE export_record (
    task_id  INTEGER NOT NULL REFERENCES task(id),
    seq      INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;
