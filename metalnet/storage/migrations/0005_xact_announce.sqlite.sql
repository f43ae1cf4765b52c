-- PostgreSQL's step 5 adds metalnet_announce_xact for commits in doubt. A SQLite commit cannot lose its
-- answer (the database is a local file), so this step changes nothing and only keeps the version numbers of
-- both dialects alike.
SELECT 1;
