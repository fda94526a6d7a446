-- Codeup namespaces: each organization's root (kind 'organization', path = the organization
-- id) and the code groups below it. full_path is materialized (ORG/parent/child) and unique
-- per organization ignoring case; full_name is the nameWithNamespace ("ORG / Parent / Child").
CREATE TABLE namespaces (
    id               BIGSERIAL PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    parent_id        BIGINT REFERENCES namespaces(id),
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    path             TEXT NOT NULL,
    full_path        TEXT NOT NULL,
    full_name        TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    visibility       TEXT NOT NULL,
    avatar_url       TEXT NOT NULL DEFAULT '',
    owner_id         TEXT NOT NULL DEFAULT '',
    depth            BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX namespaces_full_path ON namespaces (organization_id, lower(full_path));
CREATE INDEX namespaces_parent ON namespaces (parent_id, updated_at);

-- Direct members of a group, with Codeup access levels (20 viewer, 30 developer, 40 admin).
CREATE TABLE namespace_members (
    namespace_id  BIGINT NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    access_level  BIGINT NOT NULL,
    expires_at    BIGINT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (namespace_id, user_id)
);
CREATE INDEX namespace_members_user ON namespace_members (user_id);

-- Every existing organization gets its root namespace.
INSERT INTO namespaces (organization_id, parent_id, kind, name, path, full_path, full_name, visibility, depth, created_at, updated_at)
SELECT id, NULL, 'organization', id, id, id, id, 'public', 0, created_at, created_at FROM organizations;
