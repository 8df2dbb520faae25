-- The thread index without the message id. A thread is read by its inquiry and time;
-- the id only orders messages sent in the same millisecond, which SQLite sorts among
-- themselves as it reads (a temp b-tree for the tie, not for the page). The id was 16
-- of the 44 bytes of each entry: for a million messages the index goes from 54 to about
-- 35 MiB (bench-reports/client-sync.md).
DROP INDEX messages_thread;
CREATE INDEX messages_thread ON messages(inquiry_id DESC, sent_at DESC);
