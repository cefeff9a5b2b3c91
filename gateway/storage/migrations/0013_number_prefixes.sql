-- The number filters of call statistics (a_src, a_dst, clid): a prefix is found by walking
-- an index of the calls' originating numbers, by code point, rather than by reading
-- every call of the window.
CREATE INDEX legs_orig_dst ON legs (dst{collate_c}, session_id) WHERE role = 'orig'
;
CREATE INDEX legs_orig_src ON legs (src{collate_c}, session_id) WHERE role = 'orig'
;
