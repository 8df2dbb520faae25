-- Order timelines with the order as it stood after each event (synced, id = order id).
CREATE TABLE order_history (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
) STRICT;

-- Files the user chose on this machine (a contract for a draft, a message attachment),
-- kept next to the cache until uploaded. `id` is the document id the server will give
-- it: drafts and queued actions refer to the file by it before it is uploaded.
-- `error_code` is set when the server refused the upload.
CREATE TABLE local_files (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0,
    error_code TEXT
) STRICT;
