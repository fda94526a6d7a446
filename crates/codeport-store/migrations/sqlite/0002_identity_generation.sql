-- A counter bumped by every write that changes who may sign or act (users, memberships,
-- AccessKeys, tokens), so every process can keep identities cached and notice changes
-- made by another process (the admin CLI, another replica) by polling one row.
CREATE TABLE identity_generation (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  INTEGER NOT NULL
);
INSERT INTO identity_generation (id, value) VALUES (1, 0);
