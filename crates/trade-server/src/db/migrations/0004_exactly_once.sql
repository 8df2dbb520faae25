-- Idempotency keys commit with their request's effect; a card payment's key waits for
-- the gateway's answer with the payment's id, and a replay keeps the ETag.
ALTER TABLE idempotency_keys ADD COLUMN payment_id TEXT;
ALTER TABLE idempotency_keys ADD COLUMN response_etag TEXT;
CREATE INDEX idempotency_keys_payment ON idempotency_keys(payment_id) WHERE payment_id IS NOT NULL;

-- Card payments still waiting for the gateway, for the reconciler.
CREATE INDEX payments_processing ON payments(updated_at) WHERE status = 'processing';
