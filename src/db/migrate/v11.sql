-- Version 11 (issue 22): an import task keeps the headers of its file that the import does not
-- read, so the task page names them instead of dropping them without a word. Frozen: never edit
-- it; a change is a new step.
ALTER TABLE task ADD COLUMN unread_columns TEXT;
