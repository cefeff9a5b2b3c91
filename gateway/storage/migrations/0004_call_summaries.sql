-- Statistics of ended calls per span of time (15 minutes, an hour and a day, UTC) and per
-- key set, kept up to date in the ingest transaction; `bucket` is the span's first second.
-- Key set 0 holds every key; key set 1 only those of the default grouping (originator,
-- terminator, destination group), so that the common question reads far fewer rows. `skey` is the key columns written as one text (NULLs included), the
-- target of the upsert that adds a batch's calls; the columns themselves are what queries
-- group and filter by. A row keyed by a currency holds the originating side's money in it,
-- and the terminating attempts' charges in it (a call's figures count on the row of its
-- originating leg's currency).
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
)
;
