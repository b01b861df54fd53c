-- Heads that were shown the informational `signoff/policy` check (a change that edits
-- the policy file): one check per head, whichever replica handles its events.
CREATE TABLE policy_checks (
    forge TEXT NOT NULL,
    repo TEXT NOT NULL,
    sha TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (forge, repo, sha)
);
