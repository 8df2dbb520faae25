-- The orders list's two sorts, over all orders and within a box: most recently changed
-- first, or soonest next deadline first (none last). Without these each page sorted every
-- order in the cache.
CREATE INDEX orders_recent ON orders(updated_at DESC, id DESC);
CREATE INDEX orders_deadline ON orders(COALESCE(next_deadline_at, 9223372036854775807), id);
CREATE INDEX orders_box_deadline ON orders(box, COALESCE(next_deadline_at, 9223372036854775807), id);

-- The suppliers this buyer deals with, kept as inquiries arrive: names for orders, the
-- choices of a new order, and the supplier words of the orders search, without reading
-- every cached inquiry.
CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    company TEXT NOT NULL,
    last_at INTEGER NOT NULL
) STRICT;
INSERT INTO partners (id, name, company, last_at)
    SELECT json_extract(data, '$.supplier'), json_extract(data, '$.supplier_name'),
           json_extract(data, '$.supplier_company'), MAX(last_message_at)
    FROM inquiries GROUP BY 1;
