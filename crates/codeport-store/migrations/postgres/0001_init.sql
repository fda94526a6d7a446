-- codeport schema v1 (PostgreSQL). Times are milliseconds since the Unix epoch, UTC.
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    display_name             TEXT NOT NULL,
    email                    TEXT NOT NULL DEFAULT '',
    default_organization_id  TEXT NOT NULL REFERENCES organizations(id),
    created_at               BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_name_ci ON users (lower(name));

CREATE TABLE memberships (
    organization_id  TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

CREATE TABLE access_keys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sealed_secret BYTEA NOT NULL,
    enabled       BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (user_id);

CREATE TABLE personal_access_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL DEFAULT '',
    expires_at  BIGINT,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id);

CREATE TABLE workspaces (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    description      TEXT NOT NULL,
    env_types        TEXT NOT NULL,
    resource_group_id TEXT NOT NULL DEFAULT '',
    creator_id       TEXT NOT NULL,
    is_default       BOOLEAN NOT NULL,
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    modified_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX workspaces_org_name ON workspaces (organization_id, lower(name));
CREATE INDEX workspaces_org_created ON workspaces (organization_id, created_at);

CREATE TABLE workspace_members (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    roles         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

CREATE TABLE code_sources (
    id                   TEXT PRIMARY KEY,
    workspace_id         TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    display_name         TEXT NOT NULL,
    description          TEXT NOT NULL,
    code_repo            TEXT NOT NULL,
    code_branch          TEXT NOT NULL,
    code_commit          TEXT NOT NULL,
    code_repo_user_name  TEXT NOT NULL,
    sealed_repo_token    BYTEA,
    mount_path           TEXT NOT NULL,
    accessibility        TEXT NOT NULL,
    clone_type           BIGINT NOT NULL,
    creator_id           TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    modified_at          BIGINT NOT NULL
);
CREATE INDEX code_sources_ws_created ON code_sources (workspace_id, created_at);
CREATE INDEX code_sources_ws_modified ON code_sources (workspace_id, modified_at);

-- Replay protection shared by every replica: one row per (AccessKey, nonce) until it expires.
-- UNLOGGED: an insert per signed request must not wait for a WAL flush; after a crash the
-- table is emptied, which forgets at most one signature window of nonces.
CREATE UNLOGGED TABLE signature_nonces (
    access_key_id  TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (access_key_id, nonce)
);
CREATE INDEX signature_nonces_expiry ON signature_nonces (expires_at);
