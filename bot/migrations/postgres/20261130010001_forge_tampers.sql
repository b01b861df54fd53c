-- Command comments edited or deleted by someone other than their author, now keyed by
-- forge as well: the same path on GitHub and on GitLab names two repositories. Rows
-- kept so far were all GitHub's.
CREATE TABLE change_tampers (
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    number BIGINT NOT NULL,
    head_sha TEXT NOT NULL,
    comment_id BIGINT NOT NULL,
    author TEXT NOT NULL,
    by_user TEXT NOT NULL,
    action TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (forge, repo, number, head_sha, comment_id, by_user)
);
INSERT INTO change_tampers (forge, repo, number, head_sha, comment_id, author, by_user, action, at)
    SELECT 'github', repo, number, head_sha, comment_id, author, by_user, action, at FROM tampers;
DROP TABLE tampers;
-- `heads` was replaced by `pushes` (which has a forge column) and is no longer read.
DROP TABLE heads;
