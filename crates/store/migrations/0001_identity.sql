-- Identity, credentials and idempotency. Portable across SQLite and PostgreSQL:
-- ids are UUID text, instants are BIGINT nanoseconds since the Unix epoch (UTC),
-- money is canonical decimal text.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    -- Argon2id PHC string; NULL for a passwordless account that signs in with e-mail codes.
    password_hash TEXT,
    -- JSON object of the seven fee fields as decimal strings; NULL means the platform default.
    fee_schedule  TEXT,
    slippage      TEXT NOT NULL DEFAULT '0',
    created_at    BIGINT NOT NULL
);

-- The latest code issued to an address. A new code replaces the row; a consumed code keeps it so
-- the resend interval still applies.
CREATE TABLE verification_codes (
    email           TEXT PRIMARY KEY,
    salt            TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    consumed_at     BIGINT
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    lookup     TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_by_lookup ON sessions (lookup);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    product    TEXT NOT NULL,
    plan       TEXT NOT NULL,
    lookup     TEXT NOT NULL,
    key_hash   TEXT NOT NULL,
    display    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_by_lookup ON api_keys (lookup);
CREATE INDEX api_keys_by_user ON api_keys (user_id);

CREATE TABLE password_resets (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    lookup     TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_by_lookup ON password_resets (lookup);

-- One row per (account, Idempotency-Key). status IS NULL while the first request runs; the
-- lease lets another instance take over a request whose process died.
CREATE TABLE idempotency_records (
    scope           TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    lease_until     BIGINT NOT NULL,
    status          BIGINT,
    headers         TEXT,
    body            BYTEA,
    completed_at    BIGINT,
    expires_at      BIGINT,
    PRIMARY KEY (scope, idempotency_key)
);
