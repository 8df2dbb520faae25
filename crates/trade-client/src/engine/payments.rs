//! Pay Now: the quote, the call (sent until it has a final answer, with one key), and
//! the transfers and card payments whose answers were lost, sent again by the sync loop.

use super::*;

/// Pay Now's retries: the first wait, and the longest.
const PAY_BACKOFF_START: Duration = Duration::from_millis(250);
const PAY_BACKOFF_MAX: Duration = Duration::from_secs(2);
/// The shortest time one Pay Now attempt is given, even when the patience is nearly
/// spent (a card payment's answer needs the gateway's).
const PAY_ATTEMPT_MIN: Duration = Duration::from_secs(1);

/// What a Pay Now answer means for its pending call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayAnswer {
    /// Final: the call is done (a result, or a refusal that will not change).
    Final,
    /// No final answer yet (unreachable, timed out, a server fault, "still
    /// processing"): ask again with the same key.
    Unanswered,
    /// The server may have acted but its answer could not be read: keep the call for
    /// sync to settle, and do not send it again now.
    Unknown,
}

fn pay_answer(e: &ClientError) -> PayAnswer {
    if e.is_transient() || e.is_payment_processing() {
        PayAnswer::Unanswered
    } else if matches!(e, ClientError::Decode(_)) {
        PayAnswer::Unknown
    } else {
        // A refusal, or a request that never left (certificate, address, local errors).
        PayAnswer::Final
    }
}

/// Marks a Pay Now call as being sent by this engine until dropped, so the sync loop
/// does not send it at the same time.
struct Sending<'a> {
    keys: &'a std::sync::Mutex<std::collections::HashSet<String>>,
    key: String,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

impl Engine {
    /// Sends every pending transfer call again with its key and exact body (a restart, or
    /// an answer lost after `pay` gave up waiting): the server replays the first answer
    /// or, if the call never arrived, makes the transfer once. Stops at the first call
    /// still unanswered (the server is away: the pull will say so); a session that ended
    /// is an error, and the calls stay for the next sign-in.
    pub(super) async fn resend_transfers(&self) -> Result<()> {
        for call in self.inner.store.pending_transfers()? {
            let Some(_sending) = self.sending(&call.key) else {
                continue; // `pay` is on it
            };
            let api = self.inner.api.clone();
            let result = self
                .authed(|access| {
                    let (api, call) = (api.clone(), call.clone());
                    async move {
                        api.pay(
                            &access,
                            call.order,
                            &call.body,
                            &call.key,
                            crate::profile::REQUEST_TIMEOUT,
                        )
                        .await
                    }
                })
                .await;
            let error = match result {
                Ok(_) => {
                    self.inner.store.remove_pending_payment(&call.key)?;
                    self.bump();
                    continue;
                }
                Err(e @ ClientError::Api { status: 401, .. }) => return Err(e),
                Err(e) => e,
            };
            if let Some(id) = error.payment_id() {
                self.inner.store.set_pending_payment_id(&call.key, id)?;
            }
            match pay_answer(&error) {
                PayAnswer::Final => {
                    tracing::info!(code = %error.code(), "a pending transfer was refused");
                    self.inner.store.remove_pending_payment(&call.key)?;
                    self.bump();
                }
                PayAnswer::Unanswered => {
                    tracing::debug!(code = %error.code(), "a pending transfer is unanswered");
                    return Ok(());
                }
                PayAnswer::Unknown => {
                    tracing::warn!(code = %error.code(), "a pending transfer's answer was unreadable");
                }
            }
        }
        Ok(())
    }

    /// Claims `key` for this caller; `None` when another caller is sending it.
    fn sending(&self, key: &str) -> Option<Sending<'_>> {
        let keys = &self.inner.paying;
        let fresh = keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_owned());
        fresh.then(|| Sending {
            keys,
            key: key.to_owned(),
        })
    }

    /// The review step of Pay Now: installment, amount, card fee, the designated account.
    /// Needs the server.
    pub async fn payment_quote(&self, order: OrderId) -> Result<PaymentQuote> {
        let api = self.inner.api.clone();
        self.authed(|access| {
            let api = api.clone();
            async move { api.payment_quote(&access, order).await }
        })
        .await
    }

    /// Pay Now. Needs the server: a card goes from this call straight to the gateway
    /// through the server; a transfer answers with its reference and the designated
    /// account. The order and payment then arrive through the next sync.
    ///
    /// One idempotency key per call, kept in the cache (with the body for a transfer;
    /// never a card's details) before the call is first sent: retries after a lost
    /// answer or a server fault reuse it for up to [`Options::pay_patience`], so none can
    /// pay twice. When the server answers that the payment is still processing, or
    /// without a final answer by then, the call stays pending and this returns
    /// [`ClientError::PaymentPending`]: a
    /// transfer is sent again by the sync loop (also after a restart), a card is
    /// settled from the payments sync brings.
    pub async fn pay(&self, order: OrderId, request: PayRequest) -> Result<PaymentResult> {
        let key = uuid::Uuid::now_v7().to_string();
        let body =
            serde_json::to_string(&request).map_err(|e| ClientError::Decode(e.to_string()))?;
        self.inner.store.add_pending_payment(
            &key,
            order,
            request.method,
            request.amount_minor,
            &body,
            Timestamp::now(),
        )?;
        let result = {
            // A fresh key: nobody else is sending it; the claim keeps the sync loop off it.
            let _sending = self.sending(&key);
            self.send_payment(order, &key, &body).await
        };
        // Approved, declined, refused or pending: the server's state changed or may have;
        // pull it (and show the pending call meanwhile).
        self.poke();
        result
    }

    /// Sends one Pay Now call until a final answer or the patience is spent; settles its
    /// pending row accordingly. A call that never left this machine (no connection on
    /// any attempt) is not pending: it is dropped and the connection error returned, at
    /// once when the engine already knows it is offline.
    async fn send_payment(&self, order: OrderId, key: &str, body: &str) -> Result<PaymentResult> {
        let store = &self.inner.store;
        let deadline = tokio::time::Instant::now() + self.inner.options.pay_patience;
        let mut backoff = PAY_BACKOFF_START;
        let mut sent = false;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let attempt = (left / 2).clamp(PAY_ATTEMPT_MIN, crate::profile::REQUEST_TIMEOUT);
            let api = self.inner.api.clone();
            let result = self
                .authed(|access| {
                    let api = api.clone();
                    async move { api.pay(&access, order, body, key, attempt).await }
                })
                .await;
            let error = match result {
                Ok(result) => {
                    store.remove_pending_payment(key)?;
                    return Ok(result);
                }
                Err(ClientError::NotSent(inner)) => {
                    let offline = matches!(
                        self.inner.status.borrow().connection,
                        Connection::Offline | Connection::SignedOut
                    );
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    if !sent && (offline || left.is_zero()) {
                        store.remove_pending_payment(key)?;
                        return Err(*inner);
                    }
                    *inner
                }
                Err(e) => {
                    sent = true;
                    e
                }
            };
            if let Some(id) = error.payment_id() {
                store.set_pending_payment_id(key, id)?;
                // The server has the payment and says it is still processing (a card
                // waiting for its gateway): asking again cannot hurry it. Sync brings
                // its outcome, which settles the pending call.
                if error.is_payment_processing() {
                    tracing::info!(payment = %id, "Pay Now: still processing; left to sync");
                    return Err(ClientError::PaymentPending {
                        payment_id: Some(id),
                    });
                }
            }
            match pay_answer(&error) {
                PayAnswer::Final => {
                    store.remove_pending_payment(key)?;
                    return Err(error);
                }
                PayAnswer::Unknown => return Err(error),
                PayAnswer::Unanswered => {}
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                tracing::info!(code = %error.code(), "Pay Now is still unanswered; left to sync");
                let payment_id = store.pending_payment(key)?.and_then(|c| c.payment_id);
                return Err(ClientError::PaymentPending { payment_id });
            }
            // Never sooner than the server asked (a 429's Retry-After).
            let wait = error
                .retry_after()
                .map_or(backoff, |asked| asked.max(backoff));
            tokio::time::sleep(wait.min(left)).await;
            backoff = (backoff * 2).min(PAY_BACKOFF_MAX);
        }
    }
}
