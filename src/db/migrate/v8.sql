-- Version 8, with v8.rs (issue 19): version 5 changed three times after 92346ad first stamped
-- it, and version 2 once after 5041a85, so a database stamped 5 (or 2) may lack what later
-- steps take for granted. This step gives every database what steps 2 and 5 give today, leaving
-- alone what is already there, and recounts the kept asset counts.
-- Frozen: never edit it; a change is a new step.

-- 9f4e655 counted assets by triggers; the code has counted them itself since 938978a, so where
-- the triggers stayed every insert, move and delete was counted twice (and inserts were slow).
DROP TRIGGER IF EXISTS asset_counted;
DROP TRIGGER IF EXISTS asset_uncounted;
DROP TRIGGER IF EXISTS asset_moved;

-- What 92346ad and 9f4e655 left out, as step 5 creates it.
CREATE INDEX IF NOT EXISTS asset_entity ON asset(entity_id);
CREATE INDEX IF NOT EXISTS asset_department_id ON asset(department_id);
CREATE INDEX IF NOT EXISTS asset_retired ON asset(entity_id) WHERE expire = 1;
CREATE VIRTUAL TABLE IF NOT EXISTS asset_text USING fts5(name, description, content = 'asset',
    content_rowid = 'id', tokenize = 'trigram');
CREATE TABLE IF NOT EXISTS text_index (indexed_to INTEGER NOT NULL);
INSERT INTO text_index (indexed_to) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM text_index);
CREATE TRIGGER IF NOT EXISTS asset_text_changed AFTER UPDATE OF name, description ON asset
    WHEN old.id <= (SELECT indexed_to FROM text_index) BEGIN
    INSERT INTO asset_text(asset_text, rowid, name, description)
        VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO asset_text(rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER IF NOT EXISTS asset_text_removed AFTER DELETE ON asset
    WHEN old.id <= (SELECT indexed_to FROM text_index) BEGIN
    INSERT INTO asset_text(asset_text, rowid, name, description)
        VALUES ('delete', old.id, old.name, old.description);
END;

-- Every count recounted (v8.rs added the columns 92346ad and 938978a left out, at 0): one pass
-- over the asset indexes by department and by category.
UPDATE department SET asset_count =
    (SELECT count(*) FROM asset WHERE asset.department_id = department.id);
UPDATE category SET asset_count =
    (SELECT count(*) FROM asset WHERE asset.category_id = category.id);

-- What 5041a85 left out, as step 2 creates it (v8.rs folds the records it kept).
CREATE TABLE IF NOT EXISTS export_chunk (
    task_id   INTEGER NOT NULL REFERENCES task(id),
    first_seq INTEGER NOT NULL,
    snapshots TEXT NOT NULL,
    PRIMARY KEY (task_id, first_seq)
) WITHOUT ROWID;
