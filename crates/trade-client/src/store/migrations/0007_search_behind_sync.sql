-- The full-text index keeps no copy of the text (the records hold it; hits are cut from
-- them), its rows are ordered by their records' time, and it is built behind a first
-- sync instead of inside it (store/search.rs). The old index is dropped; the backlog
-- indexes every record again, as it does after a first sync.
DROP TABLE search;
DELETE FROM search_rows;
DELETE FROM meta WHERE key LIKE 'search_mark:%';
CREATE VIRTUAL TABLE search USING fts5(
    title,
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
