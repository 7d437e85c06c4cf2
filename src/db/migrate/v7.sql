-- Version 7 (3f9273a): a task keeps the SHA-256 of the named file it was uploaded from, so a
-- second upload of the same file the same day is pointed out. Frozen: never edit it; a change is
-- a new step.
ALTER TABLE task ADD COLUMN file_hash TEXT;
