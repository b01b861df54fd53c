-- Every push seen on a change, as an interval: `sha` was the head from `from_ms` until
-- `until_ms` (NULL: it still is). A head that comes back after a force-push gets a new
-- interval, so a comment binds to the head current when it was written. Replaces
-- `heads`, which kept one (earliest) time per sha.
CREATE TABLE pushes (
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    number BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    sha TEXT NOT NULL,
    from_ms BIGINT NOT NULL,
    until_ms BIGINT,
    PRIMARY KEY (forge, repo, number, seq)
);
