-- Export jobs are claimed with a lease, so that gateways sharing one store run each job
-- once: `attempt` counts a job's claims and is the token its current worker writes with
-- (a worker whose lease lapsed and was taken over can no longer finish the job);
-- `lease_until` (Unix milliseconds) is when a running job's claim lapses unless its
-- worker renews it. A job left running before leases existed is queued again.
ALTER TABLE history_reports ADD COLUMN attempt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE history_reports ADD COLUMN lease_until BIGINT;
UPDATE history_reports SET status = 'queued' WHERE status = 'running'
;
