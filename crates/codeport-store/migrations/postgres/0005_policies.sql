-- RAM-style policies. Custom policies belong to an organization (names unique ignoring case);
-- system policies live in code and are referenced by name. Users have policies attached; an
-- organization's default set is attached to each new user. Out of the box the default set is
-- AdministratorAccess (allow every action), so resource rules alone decide, as before
-- policies existed; every existing user gets it too.
CREATE TABLE policies (
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    document         TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (organization_id, name)
);
CREATE UNIQUE INDEX policies_name ON policies (organization_id, lower(name));

CREATE TABLE policy_attachments (
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    policy_type  TEXT NOT NULL,
    policy_name  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, policy_type, policy_name)
);
CREATE INDEX policy_attachments_policy ON policy_attachments (policy_type, policy_name);

CREATE TABLE default_policies (
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    policy_type      TEXT NOT NULL,
    policy_name      TEXT NOT NULL,
    PRIMARY KEY (organization_id, policy_type, policy_name)
);

INSERT INTO default_policies (organization_id, policy_type, policy_name) SELECT id, 'System', 'AdministratorAccess' FROM organizations;
INSERT INTO policy_attachments (user_id, policy_type, policy_name, created_at) SELECT id, 'System', 'AdministratorAccess', created_at FROM users;
