-- Version 6, with v6.rs (56dba7b), the Excel round trip: imports update assets (a revision on
-- each asset tells an undo whether it changed since), count created / updated / unchanged rows,
-- run as dry runs, and are undone by a task of a third kind, from the records of what each batch
-- did. Frozen: never edit it; a change is a new step.
ALTER TABLE asset ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task ADD COLUMN number_created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task ADD COLUMN number_updated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task ADD COLUMN number_unchanged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task ADD COLUMN preview TEXT;
ALTER TABLE task ADD COLUMN undo_of INTEGER REFERENCES task(id);
ALTER TABLE task ADD COLUMN undone_by INTEGER REFERENCES task(id);
UPDATE task SET number_created = number_succeed WHERE port_type = 1;

-- What an import's undo needs, written in the same transaction as each batch: the ids of the
-- assets a batch created (a range: a batch's inserts take consecutive ids) ...
CREATE TABLE task_created (
    task_id  INTEGER NOT NULL REFERENCES task(id),
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL,
    PRIMARY KEY (task_id, first_id)
) WITHOUT ROWID;

-- ... and, per asset it updated, the values and revision before its first update by the task
-- (a JSON object of asset columns), the revision the task left, and the highest asset id at
-- the time (a child added later has a higher id). An undo restores values and revision, so
-- undoing tasks newest first takes each back in turn.
CREATE TABLE task_change (
    task_id  INTEGER NOT NULL REFERENCES task(id),
    asset_id INTEGER NOT NULL,
    before   TEXT NOT NULL,
    before_revision INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    id_mark  INTEGER NOT NULL,
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
