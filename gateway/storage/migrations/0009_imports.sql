-- What `gateway import` stored from files of switches (docs/ingest.md, "Files from
-- switches"): each import with its options, and each line it stored (by the line's
-- identity: Asterisk's uniqueid and sequence, FreeSWITCH's uuid, or a digest of the line)
-- with the session it went into, so that importing a grown file again stores only its
-- new lines, and importing it with other options is refused or replaces the earlier one.
CREATE TABLE imports (
    id {id},
    format TEXT NOT NULL,
    file_name TEXT NOT NULL,
    options TEXT NOT NULL,
    imported_at BIGINT NOT NULL
)
;
CREATE TABLE import_lines (
    identity TEXT PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL,
    source_id TEXT NOT NULL
)
;
CREATE INDEX import_lines_session ON import_lines (tenant_id, source_id)
;
CREATE INDEX import_lines_import ON import_lines (import_id)
