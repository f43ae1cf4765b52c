-- The history of changes (docs/history.md): events in a table of their own, numbered from one counter row
-- that a writing transaction moves just before COMMIT (SQLite's writers are serial anyway).
CREATE TABLE metalnet_event_seq (id INTEGER PRIMARY KEY CHECK (id = 1), newest INTEGER NOT NULL);
INSERT INTO metalnet_event_seq (id, newest) VALUES (1, 0);
CREATE TABLE metalnet_event (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    ident TEXT NOT NULL,
    project TEXT NOT NULL,
    body TEXT NOT NULL
);
-- the events of one object ("who held 10.0.3.7") without a scan of the whole history
CREATE INDEX metalnet_event_object ON metalnet_event (kind, ident, seq);
