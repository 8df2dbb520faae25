-- A message's fields in columns instead of its JSON. Messages are nine records in ten of
-- an account that has traded for years, and their JSON was most of the cache: the field
-- names in every row, and the id, thread and time once more beside their columns (339
-- bytes a message on average, of which the text is about 75). In columns a message's row
-- is half the size (store/message_row.rs; `MESSAGE_JSON` makes the JSON again).
--
-- id, inquiry_id, sender: UUIDs as their 16 bytes, not their 36 characters: each is in
-- the row and the id and thread in an index too. They compare in the same order as
-- their text. (The server makes every id a UUID; a value that is not hex would keep the
-- bytes of its text rather than be lost.)
-- attachments: their JSON array as the server sent it, NULL when there are none.
-- read: 0 or 1. quotation: its id, NULL when the message carries none.
-- extra: the fields this version does not know, as a JSON object; NULL when none.
-- Each message keeps its rowid (the search index names records by rowid).
CREATE TABLE messages_in_columns (
    id BLOB PRIMARY KEY DESC,
    inquiry_id BLOB NOT NULL,
    sent_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    sender BLOB NOT NULL,
    sender_name TEXT NOT NULL,
    body TEXT NOT NULL,
    read INTEGER NOT NULL,
    quotation TEXT,
    attachments TEXT,
    extra TEXT
) STRICT;
INSERT INTO messages_in_columns
    (rowid, id, inquiry_id, sent_at, state, sender, sender_name, body, read, quotation,
     attachments, extra)
    SELECT rowid, coalesce(unhex(id, '-'), CAST(id AS BLOB)),
        coalesce(unhex(inquiry_id, '-'), CAST(inquiry_id AS BLOB)), sent_at, state,
        coalesce(unhex(data ->> 'sender', '-'), CAST(data ->> 'sender' AS BLOB)), data ->> 'sender_name',
        data ->> 'body', coalesce(data ->> 'read', 0), data ->> 'quotation',
        CASE WHEN json_array_length(data, '$.attachments') > 0 THEN data -> 'attachments' END,
        nullif(json_remove(data, '$.id', '$.inquiry', '$.sender', '$.sender_name', '$.body',
            '$.attachments', '$.sent_at', '$.read', '$.quotation'), '{}')
    FROM messages ORDER BY rowid;
DROP TABLE messages;
ALTER TABLE messages_in_columns RENAME TO messages;
CREATE INDEX messages_thread ON messages(inquiry_id DESC, sent_at DESC, id DESC);
