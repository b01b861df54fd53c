
-- Accepted webhook deliveries: the durable queue. Times are Unix milliseconds.
CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    forge TEXT NOT NULL,
    hook_id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    event TEXT NOT NULL,
    -- deliveries with the same key are processed one at a time, in order
    work_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    received_at BIGINT NOT NULL,
    finished_at BIGINT,
    api_calls BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    UNIQUE (forge, hook_id, delivery_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);
CREATE INDEX deliveries_key ON deliveries (work_key, state);

-- Head revisions of changes as pushes were seen, to bind comment grants to the
-- revision that was current when the comment was written.
CREATE TABLE heads (
    repo TEXT NOT NULL,
    number BIGINT NOT NULL,
    sha TEXT NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (repo, number, sha)
);

-- Approval comments edited or deleted by someone other than their author.
CREATE TABLE tampers (
    repo TEXT NOT NULL,
    number BIGINT NOT NULL,
    head_sha TEXT NOT NULL,
    comment_id BIGINT NOT NULL,
    author TEXT NOT NULL,
    by_user TEXT NOT NULL,
    action TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (repo, number, head_sha, comment_id, by_user)
);

-- Deployment gates waiting for (or answered by) the bot; survive restarts.
CREATE TABLE gates (
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    environment TEXT NOT NULL,
    installation BIGINT,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (forge, repo, run_id, environment)
);

-- Every decision posted, with what it was computed from.
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    revision TEXT NOT NULL,
    decision TEXT NOT NULL,
    summary TEXT NOT NULL,
    digest TEXT NOT NULL,
    approvers TEXT NOT NULL,
    ignored TEXT NOT NULL,
    answer TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX audit_repo_at ON audit (repo, at);
CREATE INDEX audit_target ON audit (repo, kind, target, id);

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
