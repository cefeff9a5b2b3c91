-- Every leg's tenant of an ended call, and in its summaries (`leg_paths`, see
-- storage/leg_paths.py): a caller sees a call when any of its legs is in its scope, also
-- when that leg is a failed attempt that is neither the originating nor the reported
-- terminating leg. The summaries gain it as a key of every key set, and are filled again
-- from the stored calls after the migration (the texts are written first).
CREATE TABLE IF NOT EXISTS session_leg_paths (
    session_id BIGINT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    paths TEXT NOT NULL
)
;
ALTER TABLE call_summaries ADD COLUMN leg_paths TEXT
;
DELETE FROM call_summaries
