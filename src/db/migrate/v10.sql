-- Version 10 (issue 22): where a page of a long list starts. The assets of each department and
-- category counted per block of 16,384 consecutive ids (id >> 14), kept by the same code that
-- keeps department.asset_count and category.asset_count (never by a trigger: a trigger on asset
-- slows every insert), so that a page deep in a list of ten million starts from its block
-- instead of skipping every row before it. Frozen: never edit it; a change is a new step.
CREATE TABLE asset_block (
    department_id INTEGER NOT NULL,
    category_id   INTEGER NOT NULL,
    block         INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (department_id, category_id, block)
) WITHOUT ROWID;
INSERT INTO asset_block (department_id, category_id, block, n)
    SELECT department_id, category_id, id >> 14, count(*) FROM asset
    GROUP BY department_id, category_id, id >> 14;
