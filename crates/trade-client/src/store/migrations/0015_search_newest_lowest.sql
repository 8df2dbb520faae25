-- Index rows numbered the other way round: lower is newer, from 2^27 (store/search/
-- index.rs says why: the backlog, most of the rows, then appends to `search_rows` and to
-- FTS5's docsize and fills their pages, and a positive key is 4 bytes, not 9).
--
-- The index keeps its order: each row is numbered again, the newest 134217728 and each
-- older one up from it, still naming its record. FTS5 cannot number its rows again, so
-- both indexes are made anew, empty, and the text goes in again behind the sync, newest
-- first: meta `search_refill` says that every row above it waits for its text.
CREATE TABLE search_rows_newest_lowest (
    rowid INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    record INTEGER NOT NULL,
    UNIQUE (kind, record)
) STRICT;
INSERT INTO search_rows_newest_lowest (rowid, kind, record)
    SELECT 134217728 + (SELECT max(rowid) FROM search_rows) - rowid, kind, record
    FROM search_rows ORDER BY rowid DESC;
DROP TABLE search_rows;
ALTER TABLE search_rows_newest_lowest RENAME TO search_rows;
DROP TABLE search;
DROP TABLE search_recent;
CREATE VIRTUAL TABLE search USING fts5(
    title,
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE search_recent USING fts5(
    title,
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Rows written from now on, below 134217728, go in the window; the rows above it join it
-- once the refill and the backlog are done.
DELETE FROM meta WHERE key = 'search_recent_floor';
INSERT INTO meta (key, value) VALUES ('search_recent_ceiling', '134217728'),
    ('search_refill', '134217727')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
