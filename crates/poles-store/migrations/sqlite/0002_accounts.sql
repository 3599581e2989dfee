-- Accounts, roles, sessions, API tokens, login throttling and the audit trail.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT,
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'erased')),
    totp_secret TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

-- A role, scoped to an object where the role has one (a region code, a funder, a cluster
-- slug, an organisation id).
CREATE TABLE role_grants (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    granted_at TEXT NOT NULL,
    granted_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (user_id, role, scope)
);

-- Only a hash of the session id is kept: a copy of the database does not give sessions away.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Failed logins per account and per address, for throttling; shared by every app server.
CREATE TABLE auth_failures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX auth_failures_key ON auth_failures(key, at);

-- The audit trail: one row per business event, each hashed with the previous row's hash.
-- Personal data (e-mail, address) sits in audit_personal, outside the hash, so that erasure
-- can pseudonymise it without breaking the chain.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id BIGINT,
    role TEXT,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_ref TEXT NOT NULL,
    changes TEXT NOT NULL,
    reason TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_object ON audit_log(object_kind, object_ref);
CREATE INDEX audit_actor ON audit_log(actor_id);

CREATE TABLE audit_personal (
    audit_id BIGINT PRIMARY KEY REFERENCES audit_log(id),
    actor_email TEXT,
    ip TEXT
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The row every audited write updates first, so that writes (and the audit chain) are
-- serialised on SQLite as the advisory lock serialises them on PostgreSQL.
INSERT INTO meta (key, value) VALUES ('write_lock', '0');
