-- The history of changes (docs/history.md). A writing transaction with events numbers them in its last
-- statement before COMMIT: it increments the one counter row, whose row lock it then holds until COMMIT,
-- so numbers are handed out in commit order, without gaps, and per-prefix parallelism lasts until then.
CREATE TABLE metalnet_event_seq (id integer PRIMARY KEY CHECK (id = 1), newest bigint NOT NULL);
INSERT INTO metalnet_event_seq (id, newest) VALUES (1, 0);
CREATE TABLE metalnet_event (
    seq bigint PRIMARY KEY,
    at double precision NOT NULL,
    kind text NOT NULL,
    ident text NOT NULL,
    project text NOT NULL,
    body text NOT NULL
);
-- the events of one object ("who held 10.0.3.7") without a scan of the whole history
CREATE INDEX metalnet_event_object ON metalnet_event (kind, ident, seq);
