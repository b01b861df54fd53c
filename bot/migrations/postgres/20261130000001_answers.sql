-- Each open pull request's own answer on its head. Several pull requests may share a
-- head: the head shows the least permissive answer among them (SPEC §8).
CREATE TABLE change_answers (
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    number BIGINT NOT NULL,
    revision TEXT NOT NULL,
    outcome TEXT NOT NULL,
    summary TEXT NOT NULL,
    markdown TEXT NOT NULL,
    audit_id BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (forge, repo, number)
);
CREATE INDEX change_answers_revision ON change_answers (forge, repo, revision);

-- What the bot wants shown under a status context on a revision, and whether the forge
-- confirmed showing exactly that (confirmed = 1). An answer is "posted" only once
-- confirmed; until then it is posted again on the next occasion.
CREATE TABLE shown (
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    revision TEXT NOT NULL,
    context TEXT NOT NULL,
    state TEXT NOT NULL,
    description TEXT NOT NULL,
    target_url TEXT NOT NULL,
    markdown TEXT NOT NULL,
    confirmed BIGINT NOT NULL,
    check_run BIGINT,
    -- the forge's opaque tenant (GitHub: the installation), to post again later
    tenant BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (forge, repo, revision, context)
);
CREATE INDEX shown_unconfirmed ON shown (confirmed, updated_at);
