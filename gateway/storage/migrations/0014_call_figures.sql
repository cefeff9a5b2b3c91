-- The figures of every ended call, one row per call and one per charged terminating
-- attempt: what the call adds to its summaries (storage/summaries.py), with its exact
-- setup time and the numbers a filter may ask for. Statistics the summaries cannot answer
-- (a number prefix, a minimum duration, edges inside a 15-minute bucket) read this table
-- alone, without joining the sessions and their legs. It is written in the transaction
-- that ends (or takes out) the call, and filled from the stored calls after the migration
-- (with the summaries). `owner_id` (the session's tenant) and `setup_month` are the
-- distribution and partition keys, as in the other large tables. `calls` is 1 on a call's
-- row and 0 on an attempt's; `duration` is the call's billed seconds on both.
CREATE TABLE call_figures (
    session_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    setup_month INTEGER NOT NULL,
    setup_time BIGINT NOT NULL,
    src_number TEXT,
    dst_number TEXT,
    duration BIGINT NOT NULL,
    orig_tenant_id BIGINT,
    term_tenant_id BIGINT,
    leg_paths TEXT,
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
    charges BIGINT NOT NULL
)
;
CREATE INDEX call_figures_session ON call_figures (session_id)
;
CREATE INDEX call_figures_setup ON call_figures (setup_time)
;
-- A number prefix is a range of one of these indexes, which hold every other column a
-- statistic reads (PostgreSQL: INCLUDE), so that its calls are read from the index alone.
CREATE INDEX call_figures_dst ON call_figures (dst_number{collate_c}, setup_time{include}
    src_number, duration, orig_tenant_id, term_tenant_id, leg_paths, originator_id, device_id,
    terminator_id, provider_id, dst, dst_group, user_rate, provider_rate, currency, calls,
    answered, billsec, real_billsec, pdd_ms, pdd_calls, amount, billed, reseller_amount,
    charges)
;
CREATE INDEX call_figures_src ON call_figures (src_number{collate_c}, setup_time{include}
    dst_number, duration, orig_tenant_id, term_tenant_id, leg_paths, originator_id, device_id,
    terminator_id, provider_id, dst, dst_group, user_rate, provider_rate, currency, calls,
    answered, billsec, real_billsec, pdd_ms, pdd_calls, amount, billed, reseller_amount,
    charges)
;
DROP INDEX IF EXISTS legs_orig_dst
;
DROP INDEX IF EXISTS legs_orig_src
