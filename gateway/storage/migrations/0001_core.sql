-- Tenants form a tree. `path` is the materialised path of ids ('/1/4/9/'), so a subtree
-- is one prefix match inside any query. The root tenant is id 1; new ids start at 2.
CREATE TABLE tenants (
    id {id_after_root},
    name TEXT NOT NULL UNIQUE,
    parent_id BIGINT REFERENCES tenants(id),
    path TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    created_at TEXT NOT NULL
);
CREATE INDEX tenants_path ON tenants (path {prefix_ops});

-- API keys: the secret is stored only as a salted hash.
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    role TEXT NOT NULL,
    salt TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    ip_allow TEXT NOT NULL DEFAULT '',
    expires_at TEXT,
    rate_limit INTEGER,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- Values the gateway generates once and keeps (the server key of the MOR secrets).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
