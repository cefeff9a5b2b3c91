-- The store every dialect answers from. Times are Unix seconds (UTC), amounts are
-- integers of millionths of the currency unit (exact, and exact to sum in SQL).

-- Reference objects: ids come from the sources and are unique per type gateway-wide;
-- each belongs to one tenant.
CREATE TABLE clients (id BIGINT PRIMARY KEY, tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT);
CREATE TABLE accounts (id BIGINT PRIMARY KEY, tenant_id BIGINT NOT NULL REFERENCES tenants(id), client_id BIGINT, name TEXT, ident TEXT);
CREATE TABLE users (id BIGINT PRIMARY KEY, tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT);
CREATE TABLE equipment (id BIGINT PRIMARY KEY, tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT);
CREATE TABLE applications (id BIGINT PRIMARY KEY, tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT);

-- Code decks: prefix -> code name and country; the longest matching prefix wins.
CREATE TABLE code_decks (id BIGINT PRIMARY KEY, tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL, content_hash TEXT NOT NULL);
CREATE TABLE code_deck_codes (
    code_deck_id BIGINT NOT NULL REFERENCES code_decks(id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    name TEXT NOT NULL,
    country TEXT,
    PRIMARY KEY (code_deck_id, prefix)
);

-- Exchange rates: units of USD per unit of `currency`, exact decimal text, valid from a UTC day.
CREATE TABLE currency_rates (currency TEXT NOT NULL, valid_from TEXT NOT NULL, rate_to_usd TEXT NOT NULL, PRIMARY KEY (currency, valid_from));

-- Sessions: a call or a video room session. `state`: 0 set up, 1 answered, 2 ended.
CREATE TABLE sessions (
    id {id},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    source_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    state SMALLINT NOT NULL,
    seq BIGINT,
    content_hash TEXT NOT NULL,
    setup_time BIGINT NOT NULL,
    start_time BIGINT,
    end_time BIGINT,
    equipment_id BIGINT,
    application_id BIGINT,
    rule_name TEXT,
    custom_data TEXT,
    room_id TEXT,
    meeting_id TEXT,
    app_type TEXT,
    audio_quality TEXT,
    finish_reason TEXT,
    initiator_address TEXT,
    media_server_address TEXT,
    log_file_url TEXT,
    UNIQUE (tenant_id, source_id)
);
CREATE INDEX sessions_live ON sessions (kind, setup_time) WHERE end_time IS NULL;
CREATE INDEX sessions_tenant_setup ON sessions (tenant_id, setup_time);
CREATE INDEX sessions_setup ON sessions (setup_time);

-- Legs: the originating leg and terminating attempts of a call, or a video participant.
CREATE TABLE legs (
    id {id},
    session_id BIGINT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    leg_id TEXT NOT NULL,
    role TEXT NOT NULL,
    position INTEGER NOT NULL,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    src TEXT,
    dst TEXT,
    incoming SMALLINT,
    client_id BIGINT,
    account_id BIGINT,
    owner_user_id BIGINT,
    user_id BIGINT,
    rates_code TEXT,
    code_deck_id BIGINT,
    dst_code TEXT,
    dst_name TEXT,
    dst_country TEXT,
    setup_time BIGINT,
    start_time BIGINT,
    end_time BIGINT,
    billsec BIGINT,
    real_billsec BIGINT,
    disposition TEXT,
    hangup_cause INTEGER,
    pdd_ms BIGINT,
    amount BIGINT,
    reseller_amount BIGINT,
    currency TEXT,
    name TEXT,
    participant_role TEXT,
    ip TEXT,
    agent TEXT,
    call_num TEXT,
    call_log_id TEXT,
    user_ref TEXT,
    UNIQUE (session_id, leg_id)
);
CREATE INDEX legs_tenant ON legs (tenant_id, session_id);

-- Recordings and non-call charges of a session.
CREATE TABLE records (
    id BIGINT PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    url TEXT,
    name TEXT,
    start_time BIGINT,
    duration BIGINT,
    file_size BIGINT,
    cost BIGINT,
    transcription_url TEXT,
    transcription_status TEXT
);
CREATE INDEX records_session ON records (session_id);
CREATE INDEX records_url ON records (url);
CREATE TABLE resource_usage (
    id BIGINT PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    resource_type TEXT NOT NULL,
    quantity TEXT,
    unit TEXT,
    cost BIGINT,
    description TEXT,
    used_at BIGINT,
    ref_leg_id TEXT
);
CREATE INDEX resource_usage_session ON resource_usage (session_id);

-- Money movements of a tenant's account.
CREATE TABLE transactions (
    id BIGINT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    user_id BIGINT,
    performed_at BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    description TEXT,
    is_uncommitted SMALLINT NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL
);
CREATE INDEX transactions_tenant_time ON transactions (tenant_id, performed_at);

-- Contact-centre queue sessions and their events.
CREATE TABLE acd_sessions (
    id BIGINT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    acd_request_id TEXT NOT NULL,
    acd_queue_id BIGINT,
    user_id BIGINT,
    begin_time BIGINT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    waiting_duration BIGINT,
    in_service_duration BIGINT,
    after_service_duration BIGINT,
    operator_hangup SMALLINT,
    unserviced SMALLINT,
    rejected SMALLINT,
    content_hash TEXT NOT NULL
);
CREATE INDEX acd_sessions_tenant_time ON acd_sessions (tenant_id, begin_time);
CREATE TABLE acd_session_events (
    id BIGINT PRIMARY KEY,
    acd_session_id BIGINT NOT NULL REFERENCES acd_sessions(id) ON DELETE CASCADE,
    time BIGINT NOT NULL,
    type TEXT NOT NULL,
    user_id BIGINT,
    custom_data TEXT
);
CREATE INDEX acd_session_events_session ON acd_session_events (acd_session_id);

-- Every change made through the gateway.
CREATE TABLE audit_log (
    id {id},
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    key_id TEXT NOT NULL,
    role TEXT,
    ip TEXT,
    method TEXT NOT NULL,
    object TEXT,
    args TEXT,
    result TEXT,
    requested BIGINT NOT NULL
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, requested)
;
