-- Export jobs of the call-history family (GetCallHistory with is_async, GetBriefCallHistory,
-- ...): who asked (the key, its role and tenant, so that the job runs in the caller's
-- scope), what was asked (`params`, the method's params as JSON), and the job's progress:
-- `status` queued -> running -> completed | failed. Times are Unix seconds (UTC);
-- `store_until` is the first second after the file's last day.
CREATE TABLE history_reports (
    id {id},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    key_id TEXT NOT NULL,
    role TEXT NOT NULL,
    history_type TEXT NOT NULL,
    application_id BIGINT,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created BIGINT NOT NULL,
    completed BIGINT,
    file_name TEXT,
    file_size BIGINT,
    download_size BIGINT,
    download_count BIGINT NOT NULL DEFAULT 0,
    last_downloaded BIGINT,
    store_until BIGINT NOT NULL,
    calculated_data TEXT
);
CREATE INDEX history_reports_tenant ON history_reports (tenant_id, created);
CREATE INDEX history_reports_status ON history_reports (status)
;
