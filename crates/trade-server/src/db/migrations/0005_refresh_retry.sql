-- When an access token was first presented: a refresh retried after its answer was lost
-- gets that answer again only while the pair it issued is untouched.
ALTER TABLE access_tokens ADD COLUMN used_at BIGINT;
