-- The keys of the large tables, settled before they are partitioned or distributed:
-- - the partition key, `setup_month`: the UTC month of the session's setup time as
--   YYYYMM (PostgreSQL declarative partitioning by range or list of it);
-- - the distribution key: the tenant owning the session (`tenant_id` of sessions,
--   recordings and resource usages; `owner_id` of legs and leg paths, whose own
--   `tenant_id` is the leg's tenant).
-- Every uniqueness rule the writer relies on includes both. On SQLite the earlier,
-- narrower rules stay beside them (a table's inline constraints cannot be dropped), and
-- they never disagree: a session is one (tenant, source id) whatever its month.
ALTER TABLE sessions ADD COLUMN setup_month INTEGER NOT NULL DEFAULT 0
;
UPDATE sessions SET setup_month = {month_of_setup}
;
ALTER TABLE legs ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0
;
ALTER TABLE legs ADD COLUMN setup_month INTEGER NOT NULL DEFAULT 0
;
UPDATE legs SET owner_id = (SELECT s.tenant_id FROM sessions s WHERE s.id = legs.session_id),
    setup_month = (SELECT s.setup_month FROM sessions s WHERE s.id = legs.session_id)
;
ALTER TABLE session_leg_paths ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0
;
ALTER TABLE session_leg_paths ADD COLUMN setup_month INTEGER NOT NULL DEFAULT 0
;
UPDATE session_leg_paths SET
    owner_id = (SELECT s.tenant_id FROM sessions s WHERE s.id = session_leg_paths.session_id),
    setup_month = (SELECT s.setup_month FROM sessions s WHERE s.id = session_leg_paths.session_id)
;
ALTER TABLE records ADD COLUMN setup_month INTEGER NOT NULL DEFAULT 0
;
UPDATE records SET setup_month = (SELECT s.setup_month FROM sessions s WHERE s.id = records.session_id)
;
ALTER TABLE resource_usage ADD COLUMN setup_month INTEGER NOT NULL DEFAULT 0
;
UPDATE resource_usage SET
    setup_month = (SELECT s.setup_month FROM sessions s WHERE s.id = resource_usage.session_id)
;
CREATE UNIQUE INDEX sessions_key ON sessions (tenant_id, setup_month, source_id)
;
CREATE UNIQUE INDEX legs_key ON legs (owner_id, setup_month, session_id, leg_id)
;
CREATE UNIQUE INDEX session_leg_paths_key ON session_leg_paths (owner_id, setup_month, session_id)
;
CREATE UNIQUE INDEX records_key ON records (tenant_id, setup_month, id)
;
CREATE UNIQUE INDEX resource_usage_key ON resource_usage (tenant_id, setup_month, id)
;
{narrower_rules_dropped}
