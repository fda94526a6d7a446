-- Console sign-in. A user may have a password (argon2id, a PHC string; NULL: no console
-- sign-in). A console session is stored by the SHA-256 of its cookie value, never the value
-- itself, with a short public id the admin CLI lists and revokes by. Sign-in failures are
-- counted per key ("user:NAME", "ip:ADDR") in the database, so every replica throttles alike.
ALTER TABLE users ADD COLUMN password_hash TEXT;

CREATE TABLE console_sessions (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    source_ip    TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX console_sessions_user ON console_sessions (user_id, created_at);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

CREATE TABLE sign_in_failures (
    key               TEXT PRIMARY KEY,
    count             BIGINT NOT NULL,
    first_failure_at  BIGINT NOT NULL,
    locked_until      BIGINT
);
