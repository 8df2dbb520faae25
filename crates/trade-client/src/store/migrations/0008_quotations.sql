-- Supplier quotations (issue 17), as synced (kind `quotation`): kept now so that the
-- cache holds every quotation its feed brought; the thread card and the comparison read
-- them later.
CREATE TABLE quotations (
    id TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX quotations_inquiry ON quotations(inquiry_id);
