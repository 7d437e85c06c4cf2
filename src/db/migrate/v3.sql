-- Version 3 (0d99f97): sessions are stored by the hash of their token (the clear tokens of
-- version 2 are dropped, so everyone logs in again once), and a task records whose rights its
-- pending rows run with and whether its submission is completely stored.
-- Frozen: never edit it; a change is a new step.
DELETE FROM session;
ALTER TABLE session RENAME COLUMN token TO token_hash;
ALTER TABLE task ADD COLUMN runner_id INTEGER REFERENCES user(id);
ALTER TABLE task ADD COLUMN stored INTEGER NOT NULL DEFAULT 1;
