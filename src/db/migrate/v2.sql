-- Version 2, with v2.rs (c28873a): export snapshots move from a row each (export_record) to a row
-- per batch (export_chunk), the records of each task folded into one chunk in request order.
-- Frozen: never edit it; a change is a new step.
CREATE TABLE export_chunk (
    task_id   INTEGER NOT NULL REFERENCES task(id),
    first_seq INTEGER NOT NULL,
    snapshots TEXT NOT NULL,
    PRIMARY KEY (task_id, first_seq)
) WITHOUT ROWID;
INSERT INTO export_chunk (task_id, first_seq, snapshots)
    SELECT task_id, min(seq), '[' || group_concat(snapshot, ',' ORDER BY seq) || ']'
    FROM export_record GROUP BY task_id;
DROP TABLE export_record;
