-- When time alone could change a pull request's answer (an approval expiring, a window
-- opening or closing: `Context::changes_after`), and the tenant (GitHub App
-- installation) to evaluate it with then. Due rows are queued for evaluation.
ALTER TABLE change_answers ADD COLUMN recheck_at BIGINT;
ALTER TABLE change_answers ADD COLUMN tenant BIGINT;
CREATE INDEX change_answers_recheck ON change_answers (recheck_at);
