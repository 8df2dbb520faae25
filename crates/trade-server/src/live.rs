//! Live pokes (design §4): "something changed in your scope, pull". Each account has a
//! watch channel holding its latest version; `/v1/events` connections wait on it. A
//! commit pokes the local channels directly; on PostgreSQL every instance also LISTENs
//! for the NOTIFY that commits send, so a client connected to another instance hears of
//! changes made here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

pub const PG_CHANNEL: &str = "trade_changes";

#[derive(Debug, Default)]
pub struct Live {
    accounts: Mutex<HashMap<String, watch::Sender<i64>>>,
}

impl Live {
    /// Subscribes to `account`'s version. The receiver starts at the last version this
    /// instance saw (0 if none): callers compare versions, not counts of pokes.
    pub fn subscribe(&self, account: &str) -> watch::Receiver<i64> {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if accounts.len() > 1024 && accounts.len().is_power_of_two() {
            // Forget accounts nobody listens to any more; amortised by the size check.
            accounts.retain(|_, tx| tx.receiver_count() > 0);
        }
        accounts
            .entry(account.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Tells `account`'s listeners that its version is now `version` (ignored when not
    /// newer, so the local poke and the NOTIFY of the same commit wake listeners once).
    pub fn poke(&self, account: &str, version: i64) {
        let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = accounts.get(account) {
            tx.send_if_modified(|v| {
                if version > *v {
                    *v = version;
                    true
                } else {
                    false
                }
            });
        }
    }

    /// Number of accounts with listeners (for measurements).
    pub fn listened_accounts(&self) -> usize {
        let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        accounts
            .values()
            .filter(|tx| tx.receiver_count() > 0)
            .count()
    }

    /// Applies a `"account version"` NOTIFY payload.
    pub fn poke_from_notification(&self, payload: &str) {
        if let Some((account, version)) = payload.split_once(' ')
            && let Ok(version) = version.parse()
        {
            self.poke(account, version);
        }
    }
}

/// Relays this channel's NOTIFYs (sent by commits on any instance) to local listeners
/// until `stop`. Reconnects after a lost connection; changes committed while it was
/// down are caught by clients' next pull (they pull on every reconnect anyway).
pub async fn listen_postgres(
    url: String,
    live: Arc<Live>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
            Ok(l) => l,
            Err(err) => {
                tracing::warn!(%err, "LISTEN connection failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stop.changed() => return,
                }
            }
        };
        if let Err(err) = listener.listen(PG_CHANNEL).await {
            tracing::warn!(%err, "LISTEN failed; retrying");
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                _ = stop.changed() => return,
            }
        }
        loop {
            tokio::select! {
                received = listener.recv() => match received {
                    Ok(n) => live.poke_from_notification(n.payload()),
                    Err(err) => {
                        tracing::warn!(%err, "LISTEN connection lost; reconnecting");
                        break;
                    }
                },
                _ = stop.changed() => return,
            }
        }
    }
}
