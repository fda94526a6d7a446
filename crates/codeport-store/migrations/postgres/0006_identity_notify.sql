-- Every bump of the identity generation is pushed to listening replicas at commit
-- (NOTIFY is transactional), so a policy, key or membership change made anywhere reaches
-- every replica's cache without waiting for its next poll. A trigger covers every writer,
-- including the admin CLI and older binaries that know nothing of the channel.
CREATE OR REPLACE FUNCTION codeport_identity_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('codeport_identity', NEW.value::text);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER identity_generation_notify
    AFTER UPDATE ON identity_generation
    FOR EACH ROW EXECUTE FUNCTION codeport_identity_notify();
