-- Comparing quotations (issue 17).
--
-- The platform's daily exchange-rate table, as last fetched (`data`: the served JSON).
-- Only the newest table is kept: a comparison converts with the latest rates the app
-- has, and shows their date.
CREATE TABLE exchange_rates (
    rates_date TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
) STRICT;

-- What the platform's records say about a supplier (`data`: the served SupplierFacts),
-- as last fetched; shown beside its quotations, offline too.
CREATE TABLE supplier_facts (
    supplier_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
) STRICT;

-- The buyer's comparisons: local only, never synced (no outbox entry, no server
-- record). One need (`name`), a target quantity and the buyer's currency.
CREATE TABLE comparisons (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    currency TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- The quotations chosen for a comparison, each with the buyer's estimates for it
-- (`estimates`: trade_model::quotation::Estimates as JSON). No foreign key to
-- `quotations`: a quotation that leaves the cache (a tombstone) stays chosen and is
-- shown as missing rather than silently dropped.
CREATE TABLE comparison_quotations (
    comparison_id TEXT NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    quotation_id TEXT NOT NULL,
    estimates TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (comparison_id, quotation_id)
) STRICT;
