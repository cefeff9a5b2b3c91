-- The call summaries made again: a third key set (the accounts of both sides, without
-- numbers or destinations), the key text `skey` written by the database itself, and, on
-- SQLite, a table clustered by its primary key, so that a window's buckets are read in
-- order from one place. Filled again from the stored calls after the migration.
DROP TABLE call_summaries
;
CREATE TABLE call_summaries (
    keyset SMALLINT NOT NULL,
    span INTEGER NOT NULL,
    bucket BIGINT NOT NULL,
    skey TEXT NOT NULL,
    orig_tenant_id BIGINT,
    term_tenant_id BIGINT,
    originator_id BIGINT,
    device_id BIGINT,
    terminator_id BIGINT,
    provider_id BIGINT,
    dst TEXT,
    dst_group TEXT,
    user_rate TEXT,
    provider_rate TEXT,
    currency TEXT,
    calls BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    billsec BIGINT NOT NULL,
    real_billsec BIGINT NOT NULL,
    pdd_ms BIGINT NOT NULL,
    pdd_calls BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    billed BIGINT NOT NULL,
    reseller_amount BIGINT NOT NULL,
    charges BIGINT NOT NULL,
    PRIMARY KEY (keyset, span, bucket, skey)
) {without_rowid}
;
