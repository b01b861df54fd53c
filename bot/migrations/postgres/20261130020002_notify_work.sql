-- Wakes the workers of every replica when deliveries are queued (LISTEN signoff_work):
-- a delivery accepted by one replica is taken at once by whichever is idle. One
-- notification per statement (a batch of deliveries); the poll stays as a fallback.
CREATE OR REPLACE FUNCTION signoff_notify_work() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('signoff_work', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER deliveries_notify_work AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION signoff_notify_work();
