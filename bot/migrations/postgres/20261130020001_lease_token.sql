-- The claim that holds a running delivery: a worker records an outcome (or renews its
-- lease) only while its own claim still holds it, so a worker whose lease ran out and
-- was taken over cannot overwrite the new holder's result.
ALTER TABLE deliveries ADD COLUMN lease BIGINT NOT NULL DEFAULT 0;
