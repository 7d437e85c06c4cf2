-- Version 9 (issue 20): the asset history (资产履历), the operations journal (操作日志), and
-- the as-of date of an export. Frozen: never edit it; a change is a new step.

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
    changes   TEXT
);
CREATE INDEX asset_history_asset ON asset_history(asset_id, at) WHERE last_id IS NULL;
CREATE INDEX asset_history_range ON asset_history(asset_id) WHERE last_id IS NOT NULL;

-- An import's undo record of an updated asset now points at the history entry of its first
-- change by the task (taking back every entry from it gives the values before) instead of
-- keeping a copy of those values; records written before keep theirs in `before`.
CREATE TABLE task_change_v9 (
    task_id  INTEGER NOT NULL REFERENCES task(id),
    asset_id INTEGER NOT NULL,
    before   TEXT,
    before_revision INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    id_mark  INTEGER NOT NULL,
    history_id INTEGER,
    PRIMARY KEY (task_id, asset_id)
) WITHOUT ROWID;
INSERT INTO task_change_v9 (task_id, asset_id, before, before_revision, revision, id_mark)
    SELECT task_id, asset_id, before, before_revision, revision, id_mark FROM task_change;
DROP TABLE task_change;
ALTER TABLE task_change_v9 RENAME TO task_change;

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

-- An export of the register as it stood at the end of this day (days since 1970-01-01).
ALTER TABLE task ADD COLUMN as_of INTEGER;
