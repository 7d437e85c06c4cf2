-- Version 13 (issue 23): a request of many lines is approved, or taken back, as a task (port
-- types 3 and 4, which `v13.rs` allows), batch by batch, while the request shows 执行中 (6) or
-- 撤销中 (7). The task names its request. Frozen: never edit it; a change is a new step.
ALTER TABLE task ADD COLUMN request_id INTEGER REFERENCES request(id);
CREATE INDEX task_request ON task(request_id) WHERE request_id IS NOT NULL;
