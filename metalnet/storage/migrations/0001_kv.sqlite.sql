-- The ordered key-value table: keys are metalnet.storage.keys encodings, values rows.encode_value JSON.
CREATE TABLE kv (
    k BLOB PRIMARY KEY,
    v BLOB NOT NULL
) WITHOUT ROWID;
