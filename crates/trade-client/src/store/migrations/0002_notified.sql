-- Keys of desktop notifications already shown, so none is shown twice (not even after a
-- crash and a replayed sync).
CREATE TABLE notified (
    key TEXT PRIMARY KEY,
    at INTEGER NOT NULL
) STRICT;
