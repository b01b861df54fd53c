-- When the bot first saw each environment review of a workflow run: GitHub's review
-- history gives no times, so a review counts as of its first sighting (the
-- `deployment_review` webhook makes that moments after it was given), and a later
-- comment by the same reviewer has the last word. `review` identifies the review by
-- reviewer, state, environments, comment and occurrence.
CREATE TABLE deployment_reviews (
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    review TEXT NOT NULL,
    seen_ms BIGINT NOT NULL,
    PRIMARY KEY (forge, repo, run_id, review)
);
