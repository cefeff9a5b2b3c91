-- Tenants form a tree. `path` is the materialised path of ids ('/1/4/9/'), so a subtree
-- is one indexed prefix match inside any query.
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES tenants(id),
    path TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    created_at TEXT NOT NULL
);
CREATE INDEX tenants_path ON tenants (path);

-- API keys: the secret is stored only as a salted hash.
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
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
