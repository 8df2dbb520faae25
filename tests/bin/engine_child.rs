//! The client engine in a child process, for the SIGKILL test (`tests/e2e/kill.rs`), which
//! kills it at random points and checks what survived.
//!
//! Usage: `engine-child sync` or `engine-child push <count>`, with the environment:
//! `ENGINE_CHILD_URL` (server), `ENGINE_CHILD_CA` (path of the server's CA PEM),
//! `ENGINE_CHILD_DATA` (data directory), `ENGINE_CHILD_EMAIL`, `ENGINE_CHILD_PASSWORD`.
//!
//! It signs in with the password (the session lives in memory only), then:
//! - `sync`: prints `syncing`, runs one sync round (the initial sync, or the rest of an
//!   interrupted one), prints `done`;
//! - `push`: queues `<count>` messages into inquiries of the local cache, printing
//!   `queued <mutation_id> <message_id>` once each is committed to the outbox (that is
//!   the acknowledgement the user gets), then prints `pushing`, runs one sync round
//!   (push, then pull) and prints `done`.
//!
//! Every line is flushed as soon as it is written, so whatever the parent read before
//! the kill really happened before it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rand::Rng;
use trade_client::credentials::MemoryStore;
use trade_client::engine::{Engine, Options};
use trade_client::profile::ServerProfile;

fn var(name: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

fn say(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

enum Mode {
    Sync,
    Push(usize),
}

fn mode() -> Result<Mode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["sync"] => Ok(Mode::Sync),
        ["push", n] => Ok(Mode::Push(n.parse().context("the message count")?)),
        _ => bail!("usage: engine-child sync | engine-child push <count>"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mode = mode()?;
    let ca = PathBuf::from(var("ENGINE_CHILD_CA")?);
    let profile = ServerProfile {
        url: var("ENGINE_CHILD_URL")?,
        ca_pem: Some(
            std::fs::read_to_string(&ca)
                .with_context(|| format!("reading the CA at {}", ca.display()))?,
        ),
    };
    let data = PathBuf::from(var("ENGINE_CHILD_DATA")?);
    let engine = Engine::sign_in(
        &data,
        profile,
        &var("ENGINE_CHILD_EMAIL")?,
        &var("ENGINE_CHILD_PASSWORD")?,
        Arc::new(MemoryStore::new()),
        Options::default(),
    )
    .await
    .context("signing in")?;
    say(&format!("signed-in {}", engine.account().id))?;
    match mode {
        Mode::Sync => {
            say("syncing")?;
            engine.sync_now().await.context("syncing")?;
        }
        Mode::Push(count) => {
            let inquiries = engine
                .store()
                .inquiries(false, None, 50)
                .context("listing local inquiries")?
                .items;
            if count > 0 && inquiries.is_empty() {
                bail!("no inquiry in the local cache to write into (sync first)");
            }
            say("queuing")?;
            for n in 0..count {
                let inquiry = &inquiries[rand::rng().random_range(0..inquiries.len())];
                let body = format!("Crash test {n}: {}", uuid::Uuid::now_v7());
                let (mutation, message) = engine
                    .send_message(inquiry.id, &body)
                    .context("queuing a message")?;
                // Committed: this is what the user is told.
                say(&format!("queued {mutation} {message}"))?;
            }
            say("pushing")?;
            engine.sync_now().await.context("pushing")?;
        }
    }
    say("done")?;
    Ok(())
}
