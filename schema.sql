-- assetport schema, version 16. Applied once to an empty database (PRAGMA user_version = 0),
-- in one transaction; src/db/migrate.rs sets user_version afterwards. Older databases are
-- upgraded by the steps in src/db/migrate/, which are frozen once landed: a change here is also
-- a new step there, and its tests check that the steps lead to exactly this schema.
-- CHECKs on hot tables use `x = a OR x = b …`, never `IN (a, b, c)`: SQLite evaluates an IN list
-- of three or more values by building a temporary b-tree, on every insert and update.

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
    -- Assets held by this department, kept by the code that inserts, moves and deletes assets
    -- (db/assets/, db/changes.rs; no trigger): a list's total without a count over a million rows.
    asset_count INTEGER NOT NULL DEFAULT 0,
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
-- Names and emails are identities compared without regard to (ASCII) case: these serve the
-- login and owner lookups and the checks that keep identities apart.
CREATE INDEX user_name_nocase ON user(name COLLATE NOCASE);
CREATE INDEX user_email_nocase ON user(email COLLATE NOCASE);

-- Login sessions; last_seen (unix seconds) drives idle expiry. A session is stored by the
-- SHA-256 of its token (hex), never the token itself: a copy of the file opens no session.
CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,
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
    -- Assets in this category (not its sub-categories), kept like department.asset_count.
    asset_count   INTEGER NOT NULL DEFAULT 0,
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
    status              INTEGER NOT NULL CHECK (status = 1 OR status = 2 OR status = 3),
    warning_amount      INTEGER NOT NULL DEFAULT -1,
    warning_date        INTEGER NOT NULL DEFAULT -1,
    -- Moved by every change of the asset (db/assets.rs): an undo leaves alone an asset whose
    -- revision is not the one its task left.
    revision            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX asset_department ON asset(department_id, name);
CREATE INDEX asset_owner ON asset(owner_id);
CREATE INDEX asset_category ON asset(category_id);
CREATE INDEX asset_parent ON asset(parent_id) WHERE parent_id IS NOT NULL;
-- By entity, and by department alone, each in id order: a page of a list walks one of them.
CREATE INDEX asset_entity ON asset(entity_id);
CREATE INDEX asset_department_id ON asset(department_id);
-- Retired assets only (a few): the retired list and its count without a walk of the entity.
CREATE INDEX asset_retired ON asset(entity_id) WHERE expire = 1;
-- Names and descriptions by their trigrams, for substring searches of 3 or more characters.
-- Filled in the background (tasks/text_index.rs) up to text_index.indexed_to, since a trigram
-- insert costs as much as the asset's own; assets past that mark are read directly. An indexed
-- asset whose text changes is re-indexed by the trigger.
CREATE VIRTUAL TABLE asset_text USING fts5(name, description, content = 'asset',
    content_rowid = 'id', tokenize = 'trigram');
CREATE TABLE text_index (indexed_to INTEGER NOT NULL);
INSERT INTO text_index (indexed_to) VALUES (0);
CREATE TRIGGER asset_text_changed AFTER UPDATE OF name, description ON asset
    WHEN old.id <= (SELECT indexed_to FROM text_index) BEGIN
    INSERT INTO asset_text(asset_text, rowid, name, description)
        VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO asset_text(rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER asset_text_removed AFTER DELETE ON asset
    WHEN old.id <= (SELECT indexed_to FROM text_index) BEGIN
    INSERT INTO asset_text(asset_text, rowid, name, description)
        VALUES ('delete', old.id, old.name, old.description);
END;

-- Asynchronous tasks. port_type 1 import, 0 export, 2 undo of an import (undo_of), 3 approval of
-- a request and 4 undo of an approved one (request_id), 5 a stocktake's count sheet
-- (stocktake_id), 6 labels of assets printed as a PDF (label_layout, label_offset), 7 the
-- expected list of a large stocktake (stocktake_id), frozen a batch of assets at a time.
-- finish 0 queued or running, 1 all rows succeeded, 2 at least one row failed.
-- Rows with seq in [next_seq, end_seq) are still to run; next_seq is the checkpoint, moved in the
-- same transaction as the assets, failures and counters of each batch.
CREATE TABLE task (
    id             INTEGER PRIMARY KEY,
    entity_id      INTEGER NOT NULL REFERENCES entity(id),
    creator_id     INTEGER NOT NULL REFERENCES user(id),
    create_time    TEXT NOT NULL,
    port_type      INTEGER NOT NULL CHECK (port_type >= 0 AND port_type <= 7),
    number_need    INTEGER NOT NULL,
    number_succeed INTEGER NOT NULL DEFAULT 0,
    number_failed  INTEGER NOT NULL DEFAULT 0,
    finish         INTEGER NOT NULL DEFAULT 0 CHECK (finish = 0 OR finish = 1 OR finish = 2),
    next_seq       INTEGER NOT NULL DEFAULT 0,
    end_seq        INTEGER NOT NULL,
    -- Whose rights the pending rows run with: the creator, or whoever last re-ran the task.
    runner_id      INTEGER REFERENCES user(id),
    -- 0 while a large submission is still being stored in several transactions: no worker or
    -- list sees it, and a start deletes it (its client never got an answer).
    stored         INTEGER NOT NULL DEFAULT 1,
    -- Local times ('YYYY-MM-DD HH:MM:SS'): the first batch run, and the end (NULL while it runs).
    start_time     TEXT,
    finish_time    TEXT,
    -- The uploaded file's name, for a task made from a file.
    file_name      TEXT,
    -- 1 once cancelled: the rows not yet run end as failed rows (已取消).
    cancelled      INTEGER NOT NULL DEFAULT 0,
    -- 1 once its stored rows, snapshots and failed rows were deleted (retention, or on request).
    pruned         INTEGER NOT NULL DEFAULT 0,
    -- An import's rows by outcome (number_succeed is their sum): assets created, updated (rows
    -- carrying 资产编号), and update rows that changed nothing. In a dry run: what would be.
    number_created   INTEGER NOT NULL DEFAULT 0,
    number_updated   INTEGER NOT NULL DEFAULT 0,
    number_unchanged INTEGER NOT NULL DEFAULT 0,
    -- 1: a dry run (every batch checked, then rolled back; the rows stay stored for confirm).
    dry_run        INTEGER NOT NULL DEFAULT 0,
    -- 1 once a dry run was confirmed: its stored rows run again, for real.
    confirmed      INTEGER NOT NULL DEFAULT 0,
    -- A JSON array of the first changes (old -> new per field), for a dry run's preview.
    preview        TEXT,
    -- For an undo task, the import it takes back; for an import, the undo task that took it back.
    undo_of        INTEGER REFERENCES task(id),
    undone_by      INTEGER REFERENCES task(id),
    -- SHA-256 (hex) of an uploaded file that had a name: a second upload of the same file the
    -- same day is pointed out before it makes another task.
    file_hash      TEXT,
    -- An export of the register as it stood at the end of this day (days since 1970-01-01).
    as_of          INTEGER,
    -- An import from a file: a JSON array of the file's headers the import does not read
    -- (e.g. 保修期), which the task page names; NULL when there were none.
    unread_columns TEXT,
    -- An approval (port_type 3) or undo (4) task's request.
    request_id     INTEGER REFERENCES request(id),
    -- A count sheet's (port_type 5) stocktake.
    stocktake_id   INTEGER REFERENCES stocktake(id),
    -- A label task's (port_type 6) layout (a4-3x8, a4-2x7, roll-60x40) and how many labels of
    -- its first sheet were already used.
    label_layout   TEXT,
    label_offset   INTEGER
);
CREATE INDEX task_entity ON task(entity_id);
CREATE INDEX task_unfinished ON task(finish) WHERE finish = 0;
CREATE INDEX task_request ON task(request_id) WHERE request_id IS NOT NULL;
CREATE INDEX task_stocktake ON task(stocktake_id) WHERE stocktake_id IS NOT NULL;

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

-- What an import's undo needs, written in the same transaction as each batch: the ids of the
-- assets a batch created (a range: a batch's inserts take consecutive ids) ...
CREATE TABLE task_created (
    task_id  INTEGER NOT NULL REFERENCES task(id),
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL,
    PRIMARY KEY (task_id, first_id)
) WITHOUT ROWID;

-- ... and, per asset it updated, the history entry of its first update by the task (taking
-- back that entry and every later one gives the values before; records written before version
-- 9 keep those values in `before` instead, a JSON object of asset columns), the revision
-- before and the one the task left, and the highest asset id at the time (a child added later
-- has a higher id). An undo restores values and revision, so undoing tasks newest first takes
-- each back in turn.
CREATE TABLE task_change (
    task_id  INTEGER NOT NULL REFERENCES task(id),
    asset_id INTEGER NOT NULL,
    before   TEXT,
    before_revision INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    id_mark  INTEGER NOT NULL,
    history_id INTEGER,
    PRIMARY KEY (task_id, asset_id)
) WITHOUT ROWID;

-- Item assets a dry run would have created in its earlier batches, by department and name, so
-- a later row may name one as its parent (the batches themselves were rolled back).
CREATE TABLE task_dry_item (
    task_id       INTEGER NOT NULL REFERENCES task(id),
    department_id INTEGER NOT NULL,
    name          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    PRIMARY KEY (task_id, department_id, name, seq)
) WITHOUT ROWID;

-- The highest asset id an undo deleted: new assets take ids above it, so an id in an old file
-- never names a different asset.
CREATE TABLE asset_id_floor (highest INTEGER NOT NULL);
INSERT INTO asset_id_floor (highest) VALUES (0);

-- Snapshots of the asset view taken by export tasks: one row per batch, holding a JSON array of
-- the batch's succeeded rows in request order (a row per asset cost more than the snapshot).
CREATE TABLE export_chunk (
    task_id   INTEGER NOT NULL REFERENCES task(id),
    first_seq INTEGER NOT NULL,
    snapshots TEXT NOT NULL,
    PRIMARY KEY (task_id, first_seq)
) WITHOUT ROWID;

-- One entry per change of an asset, written in the transaction of the change. An import's
-- created assets are one entry per batch: the range asset_id..=last_id (consecutive ids), the
-- same range its undo record keeps; every other entry is of one asset (last_id NULL). changes:
-- a JSON object of asset columns, each [old, new] (NULL for a range: the values it created are
-- those of its later entries taken back from the asset as it is, or as its deletion left it).
-- Entries outlive tasks and their data; only history_retention_days removes them. They are
-- written in time order, so ids and times rise together: what changed after a moment is found
-- from the ids (a binary search), with no index on `at` for every change to pay for.
CREATE TABLE asset_history (
    id        INTEGER PRIMARY KEY,
    asset_id  INTEGER NOT NULL,
    last_id   INTEGER,
    entity_id INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    actor_id  INTEGER,
    task_id   INTEGER,
    kind      INTEGER NOT NULL,
    changes   TEXT,
    -- The request (申请) whose approval made the change, if one did.
    request_id INTEGER
);
CREATE INDEX asset_history_asset ON asset_history(asset_id, at) WHERE last_id IS NULL;
CREATE INDEX asset_history_range ON asset_history(asset_id) WHERE last_id IS NOT NULL;

-- Acts of administration and logins, newest last. entity_id NULL: the super admin's (or a
-- login whose identity names no company). actor_name: the user's name, or the identity typed
-- at a failed login. detail: a JSON object (what changed; never a password).
CREATE TABLE journal (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    entity_id  INTEGER,
    actor_id   INTEGER,
    actor_name TEXT NOT NULL,
    kind       TEXT NOT NULL,
    task_id    INTEGER,
    address    TEXT,
    detail     TEXT
);
CREATE INDEX journal_entity ON journal(entity_id, id);
CREATE INDEX journal_actor ON journal(entity_id, actor_id, id);
CREATE INDEX journal_kind ON journal(entity_id, kind, id);
CREATE INDEX journal_task ON journal(task_id) WHERE task_id IS NOT NULL;

-- The assets of each department and category per block of 16,384 consecutive ids (id >> 14),
-- kept with department.asset_count and category.asset_count by the code that inserts, moves
-- and deletes assets: a page deep in a long list starts from its block (db::assets::blocks)
-- instead of skipping every row before it.
CREATE TABLE asset_block (
    department_id INTEGER NOT NULL,
    category_id   INTEGER NOT NULL,
    block         INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (department_id, category_id, block)
) WITHOUT ROWID;

-- Requests with approval (issue 23): a request and its lines, each line keeping what its asset
-- was when asked (owner, department, count); state 0 待审批, 1 已通过, 2 已驳回, 3 已撤回, 4 已失效;
-- a line 0 pending, 1 executed, 2 not executed (invalid, or its request rejected or withdrawn).
CREATE TABLE request (
    id                   INTEGER PRIMARY KEY,
    entity_id            INTEGER NOT NULL REFERENCES entity(id),
    kind                 INTEGER NOT NULL CHECK (kind >= 1 AND kind <= 5),
    initiator_id         INTEGER NOT NULL REFERENCES user(id),
    reason               TEXT NOT NULL DEFAULT '',
    target_user_id       INTEGER REFERENCES user(id),
    target_department_id INTEGER REFERENCES department(id),
    state                INTEGER NOT NULL DEFAULT 0 CHECK (state >= 0 AND state <= 7),
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

-- Stocktakes (盘点): the assets a search found, frozen as expected lines; what a scan or a
-- count sheet found, once per line; codes found that were not expected (盘盈).
CREATE TABLE stocktake (
    id            INTEGER PRIMARY KEY,
    entity_id     INTEGER NOT NULL REFERENCES entity(id),
    name          TEXT NOT NULL,
    -- The search that chose the assets, as given (JSON), and the department subtree it covers
    -- (NULL: the whole company), which decides who may see and count it.
    filter        TEXT NOT NULL,
    department_id INTEGER REFERENCES department(id),
    creator_id    INTEGER NOT NULL REFERENCES user(id),
    -- 0 进行中, 1 已完成 (盘亏 decided, frozen), 2 已调整, 3 已作废, 4 准备中 (a task lists its
    -- expected assets, a batch at a time; 进行中 once the last batch is in).
    state         INTEGER NOT NULL DEFAULT 0 CHECK (state >= 0 AND state <= 4),
    created_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    ender_id      INTEGER REFERENCES user(id)
);
CREATE INDEX stocktake_entity ON stocktake(entity_id, id);

-- One expected asset: what the register said when the stocktake began, and what was found.
-- state 0 未盘, 1 相符, 2 位置不符, 3 数量不符, 4 持有人不符, 5 盘亏.
CREATE TABLE stocktake_line (
    stocktake_id   INTEGER NOT NULL REFERENCES stocktake(id),
    asset_id       INTEGER NOT NULL,
    name           TEXT NOT NULL,
    department_id  INTEGER NOT NULL,
    owner_id       INTEGER NOT NULL,
    position       TEXT NOT NULL,
    count          INTEGER NOT NULL,
    revision       INTEGER NOT NULL,
    state          INTEGER NOT NULL DEFAULT 0 CHECK (state >= 0 AND state <= 5),
    found_position TEXT,
    found_count    INTEGER,
    found_owner_id INTEGER,
    note           TEXT,
    counted_by     INTEGER REFERENCES user(id),
    counted_at     INTEGER,
    PRIMARY KEY (stocktake_id, asset_id)
) WITHOUT ROWID;
CREATE INDEX stocktake_line_state ON stocktake_line(stocktake_id, state);

-- A code found that the stocktake did not expect (盘盈), once per code.
CREATE TABLE stocktake_extra (
    stocktake_id INTEGER NOT NULL REFERENCES stocktake(id),
    code         TEXT NOT NULL,
    position     TEXT,
    count        INTEGER,
    note         TEXT,
    counted_by   INTEGER NOT NULL REFERENCES user(id),
    counted_at   INTEGER NOT NULL,
    PRIMARY KEY (stocktake_id, code)
) WITHOUT ROWID;
