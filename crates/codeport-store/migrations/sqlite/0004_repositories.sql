-- Codeup repositories. The id is the immutable key of the repository's data on disk
-- (DATA_DIR/repositories/<id>.git), so AUTOINCREMENT: an id is never handed out twice, and
-- a deleted repository's id can never come to name another one's data. A row is 'creating'
-- until its data exists and only 'active' rows are visible; full_path (ORG/group/repo) and
-- full_name are materialized like a namespace's and move with renames of the groups above.
-- namespace_id has no foreign key: deleting a group tree deletes its repositories explicitly,
-- in the same transaction, so the service learns which data directories to remove.
CREATE TABLE repositories (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id   TEXT NOT NULL REFERENCES organizations(id),
    namespace_id      INTEGER NOT NULL,
    name              TEXT NOT NULL,
    path              TEXT NOT NULL,
    full_path         TEXT NOT NULL,
    full_name         TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    visibility        TEXT NOT NULL,
    default_branch    TEXT NOT NULL,
    avatar_url        TEXT NOT NULL DEFAULT '',
    creator_id        TEXT NOT NULL,
    archived          INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_activity_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX repositories_full_path ON repositories (organization_id, lower(full_path));
CREATE INDEX repositories_namespace ON repositories (namespace_id);

-- Direct members of one repository (the creator is its admin), same levels as groups.
CREATE TABLE repository_members (
    repository_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    access_level   INTEGER NOT NULL,
    expires_at     INTEGER,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, user_id)
);
CREATE INDEX repository_members_user ON repository_members (user_id);
