-- Which full-text row holds which record. FTS5 finds rows fast only by rowid (its
-- `kind`/`record_id` columns are not indexed), so replacing a record's entry goes
-- through this map instead of scanning the whole index for every synced record.
CREATE TABLE search_rows (
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (kind, record_id)
);
INSERT INTO search_rows (rowid, kind, record_id) SELECT rowid, kind, record_id FROM search;
