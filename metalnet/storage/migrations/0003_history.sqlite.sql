-- PostgreSQL's step 3 adds the tables of the history of changes. On SQLite the history lives in the kv table
-- (metalnet/storage/event_log.py: writers are serial, so a counter row numbers events in commit order), so
-- this step changes nothing and only keeps the version numbers of both dialects alike.
SELECT 1;
