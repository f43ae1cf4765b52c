-- metalnet_announce_xact(): tell the client the transaction's id in a notice. The server sends a notice to the
-- client as soon as it is raised (results wait for the end of the message), so a client whose connection is
-- lost during the COMMIT that follows knows which transaction to ask about (storage/postgres/in_doubt.py).
-- (The body is one line: the migration runner splits statements at a ';' that ends a line.)
CREATE FUNCTION metalnet_announce_xact() RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'metalnet-xact %', pg_current_xact_id(); END $$;
