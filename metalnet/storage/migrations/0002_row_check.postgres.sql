-- metalnet_check(key, expected): fail the transaction (SQLSTATE MN001) unless row key holds exactly expected.
-- A transaction that used a row from its process's cache checks it with this (storage/row_cache.py).
-- (The body is one line: the migration runner splits statements at a ';' that ends a line.)
CREATE FUNCTION metalnet_check(key bytea, expected bytea) RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1 FROM kv WHERE k = key AND v = expected; IF NOT FOUND THEN RAISE EXCEPTION 'metalnet: a cached row changed' USING ERRCODE = 'MN001'; END IF; END $$;
