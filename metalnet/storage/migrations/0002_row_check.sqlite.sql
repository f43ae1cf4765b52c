-- PostgreSQL's step 2 adds metalnet_check for its row cache. SQLite has no row cache (its reads are local),
-- so this step changes nothing and only keeps the version numbers of both dialects alike.
SELECT 1;
