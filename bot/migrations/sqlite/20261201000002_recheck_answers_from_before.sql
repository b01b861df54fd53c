-- Answers written before answers kept their instant (20261201000001) have none, and
-- would never be evaluated again on time alone: a green from before the upgrade would
-- outlive its approvals' expiry or run into a freeze. Each gets the tenant (GitHub App
-- installation) its repository's answers were last posted with, and each that lets its
-- pull request go ahead is due at once (evaluated again, and keeps its instant then).
UPDATE change_answers SET tenant = (
    SELECT s.tenant FROM shown s
    WHERE s.forge = change_answers.forge AND s.repo = change_answers.repo
        AND s.tenant IS NOT NULL
    ORDER BY s.updated_at DESC
    LIMIT 1)
WHERE tenant IS NULL;
UPDATE change_answers SET recheck_at = 0
WHERE recheck_at IS NULL AND outcome IN ('approved', 'exempt', 'not_required');
