-- Version 4 (0d44048): identities (user names and emails) are compared case-insensitively,
-- through indexes in NOCASE order. Not unique indexes: an older database may hold names differing
-- only in case, which keep working (the exact spelling wins a login); new ones are refused.
-- Frozen: never edit it; a change is a new step.
CREATE INDEX user_name_nocase ON user(name COLLATE NOCASE);
CREATE INDEX user_email_nocase ON user(email COLLATE NOCASE);
