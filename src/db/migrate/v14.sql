-- Version 14 (issue 24): stocktakes (盘点). A stocktake freezes the assets a search found
-- (where each should be, who holds it, how many, and the asset's revision) as its expected
-- lines; a scan or a count sheet records what was found, once per line; codes found that were
-- not expected are its extras (盘盈). Frozen: never edit it; a change is a new step.
CREATE TABLE stocktake (
    id            INTEGER PRIMARY KEY,
    entity_id     INTEGER NOT NULL REFERENCES entity(id),
    name          TEXT NOT NULL,
    -- The search that chose the assets, as given (JSON), and the department subtree it covers
    -- (NULL: the whole company), which decides who may see and count it.
    filter        TEXT NOT NULL,
    department_id INTEGER REFERENCES department(id),
    creator_id    INTEGER NOT NULL REFERENCES user(id),
    -- 0 进行中, 1 已完成 (盘亏 decided, frozen), 2 已调整, 3 已作废.
    state         INTEGER NOT NULL DEFAULT 0 CHECK (state >= 0 AND state <= 3),
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
