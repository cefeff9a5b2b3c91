-- The terminating leg a call is reported by (its answered attempt, else its latest one),
-- chosen at ingest so that reports join it by key instead of choosing it per row.
ALTER TABLE sessions ADD COLUMN term_leg TEXT;
UPDATE sessions SET term_leg = (
    SELECT x.leg_id FROM legs x WHERE x.session_id = sessions.id AND x.role = 'term'
    ORDER BY x.start_time IS NULL, x.position DESC LIMIT 1)
;
