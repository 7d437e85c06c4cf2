-- Version 5 as e2ac62e left it (92346ad, 9f4e655 and 938978a stamped 5 with less or other: step 8
-- repairs what they left). A task records when it started and finished, the file it came from,
-- whether it was cancelled and whether its stored data was pruned (finished tasks of older
-- versions get their creation time as start and finish: close enough for retention).
-- Departments and categories count their assets (kept by the code that inserts, moves and deletes
-- assets), assets are indexed by entity and by department in id order, and their names and
-- descriptions by trigrams, for lists and searches of a million assets.
-- Frozen: never edit it; a change is a new step.
ALTER TABLE task ADD COLUMN start_time TEXT;
ALTER TABLE task ADD COLUMN finish_time TEXT;
ALTER TABLE task ADD COLUMN file_name TEXT;
ALTER TABLE task ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
UPDATE task SET start_time = create_time, finish_time = create_time WHERE finish != 0;
ALTER TABLE department ADD COLUMN asset_count INTEGER NOT NULL DEFAULT 0;
UPDATE department SET asset_count =
    (SELECT count(*) FROM asset WHERE asset.department_id = department.id);
ALTER TABLE category ADD COLUMN asset_count INTEGER NOT NULL DEFAULT 0;
UPDATE category SET asset_count =
    (SELECT count(*) FROM asset WHERE asset.category_id = category.id);
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
