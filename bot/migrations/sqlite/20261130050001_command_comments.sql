-- Comments holding a rejection or a revocation, remembered once seen: one missing from
-- the forge's list later was deleted, and GitLab sends no webhook for a deleted note
-- (GitHub's may never arrive), so this is how the bot learns that a command was taken
-- away. `revision` is the head the comment spoke for.
CREATE TABLE command_comments (
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    number BIGINT NOT NULL,
    comment_id BIGINT NOT NULL,
    author TEXT NOT NULL,
    revision TEXT NOT NULL,
    PRIMARY KEY (forge, repo, number, comment_id)
);
