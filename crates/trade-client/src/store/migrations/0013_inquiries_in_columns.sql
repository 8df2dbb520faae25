-- An inquiry's fields in columns instead of its JSON, as migration 12 did for messages
-- (store/columns.rs; `INQUIRY_JSON` makes the JSON again): an account that has traded
-- for years has a hundred thousand inquiries, 508 bytes of JSON each on average.
--
-- id, buyer, supplier: UUIDs as their 16 bytes. created_at, last_message_at: Unix
-- milliseconds. unread: the inquiry's `unread_count`. extra: the fields this version does
-- not know, as a JSON object; NULL when none. Each inquiry keeps its rowid (the search
-- index names records by rowid).
CREATE TABLE inquiries_in_columns (
    id BLOB PRIMARY KEY,
    buyer BLOB NOT NULL,
    supplier BLOB NOT NULL,
    buyer_name TEXT NOT NULL,
    supplier_name TEXT NOT NULL,
    supplier_company TEXT NOT NULL,
    product TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,
    last_message_preview TEXT NOT NULL,
    unread INTEGER NOT NULL,
    extra TEXT
) STRICT;
INSERT INTO inquiries_in_columns
    (rowid, id, buyer, supplier, buyer_name, supplier_name, supplier_company, product,
     status, created_at, last_message_at, last_message_preview, unread, extra)
    SELECT rowid, coalesce(unhex(id, '-'), CAST(id AS BLOB)),
        coalesce(unhex(data ->> 'buyer', '-'), CAST(data ->> 'buyer' AS BLOB)),
        coalesce(unhex(data ->> 'supplier', '-'), CAST(data ->> 'supplier' AS BLOB)),
        data ->> 'buyer_name', data ->> 'supplier_name', data ->> 'supplier_company',
        data ->> 'product', data ->> 'status',
        CAST(round(unixepoch(data ->> 'created_at', 'subsec') * 1000) AS INTEGER),
        last_message_at, data ->> 'last_message_preview', unread,
        nullif(json_remove(data, '$.id', '$.buyer', '$.supplier', '$.buyer_name',
            '$.supplier_name', '$.supplier_company', '$.product', '$.status', '$.created_at',
            '$.last_message_at', '$.last_message_preview', '$.unread_count'), '{}')
    FROM inquiries ORDER BY rowid;
DROP TABLE inquiries;
ALTER TABLE inquiries_in_columns RENAME TO inquiries;
CREATE INDEX inquiries_recent ON inquiries(last_message_at DESC, id DESC);
CREATE INDEX inquiries_unread ON inquiries(last_message_at DESC, id DESC) WHERE unread > 0;
