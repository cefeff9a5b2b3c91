-- The video session list's default order (connect time, then session id, then id), so
-- that a deep page is found by walking the index rather than sorting every session.
CREATE INDEX sessions_video_connect ON sessions ((COALESCE(start_time, setup_time)),
    source_id{collate_c}, id) WHERE kind = 'video' AND end_time IS NOT NULL
;
