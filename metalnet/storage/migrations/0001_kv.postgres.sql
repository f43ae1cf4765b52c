-- The ordered key-value table: keys are metalnet.storage.keys encodings, values rows.encode_value JSON.
-- bytea compares bytewise, so the primary key index orders rows exactly as the keys are ordered.
CREATE TABLE kv (
    k BYTEA PRIMARY KEY,
    v BYTEA NOT NULL
);
