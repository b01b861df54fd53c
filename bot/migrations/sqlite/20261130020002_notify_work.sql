-- PostgreSQL only (LISTEN/NOTIFY wakes the workers of other replicas); SQLite serves
-- one process, whose intake wakes its own workers. Kept so both folders number alike.
SELECT 1;
