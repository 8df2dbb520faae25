//! Live events through a load balancer, with a written report: two `trade-server`
//! processes (this profile's build) on one PostgreSQL database and one S3 (s3s-fs)
//! bucket behind HAProxy running `deploy/haproxy.cfg` (the cluster of
//! `tests/server/balancer.rs`). Measures the live connections held through the
//! balancer, the pokes per second fanned out to them across both instances, and the
//! latency from a commit on one instance to the event on clients held on the other.
//! Writes `bench-reports/balancer.md`.
//!
//! ```sh
//! TRADE_TEST_POSTGRES_URL=postgres://... TRADE_TEST_S3FS=/path/to/s3s-fs \
//!   cargo bench -p trade-server --bench balancer
//! ```
//!
//! Settings (environment): `BENCH_LB_CONNECTIONS` (2000, half pinned to each instance),
//! `BENCH_LB_ACCOUNTS` (100 buyers the connections are spread over), `BENCH_LB_COMMITS`
//! (500 commits for the fan-out), `BENCH_LB_SAMPLES` (300 one-at-a-time commits for the
//! latency).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/server/support.rs"]
mod support;

#[allow(dead_code)]
#[path = "../tests/server/processes.rs"]
mod processes;

#[path = "../tests/server/cluster.rs"]
mod cluster;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use trade_bench_report::{Report, group, rate, setting};

use cluster::{Cluster, Events};

const COMMAND: &str = "cargo bench -p trade-server --bench balancer";

/// A `changed` event on one live connection: the buyer, whether the connection is held
/// on trade2, and when it arrived.
struct Poke {
    buyer: usize,
    on_two: bool,
    at: Instant,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> Result<()> {
    if let Some(why) = Cluster::missing() {
        bail!("the balancer bench {why}");
    }
    let connections = setting::<usize>("BENCH_LB_CONNECTIONS", 2_000).max(2);
    let accounts = setting::<usize>("BENCH_LB_ACCOUNTS", 100).clamp(1, 250 * 250);
    let commits = setting::<usize>("BENCH_LB_COMMITS", 500);
    let samples = setting::<usize>("BENCH_LB_SAMPLES", 300);
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let mut report = Report::default();
    report.load("at the start");
    runtime.block_on(async {
        let cluster = Cluster::start().await;
        let base = cluster.base.clone();
        let timeout = Duration::from_secs(60);
        let setup = cluster.client(None, timeout, true);
        let (supplier, _, supplier_token, _) =
            processes::register(&setup, &base, "supplier", "Li Supplier").await;
        // Buyers, each signed in from its own loopback address (sign-ins are limited
        // per address), each with an inquiry the supplier writes into.
        let buyers: Vec<(String, String)> = futures_util::stream::iter(0..accounts)
            .map(|b| {
                let http = cluster.client(
                    Some(IpAddr::V4(Ipv4Addr::new(
                        127,
                        6,
                        (b / 250) as u8,
                        (b % 250) as u8 + 1,
                    ))),
                    timeout,
                    true,
                );
                let base = base.clone();
                let supplier = supplier.clone();
                async move {
                    let (_, _, token, _) =
                        processes::register(&http, &base, "buyer", &format!("Buyer {b}")).await;
                    let inquiry: Value = http
                        .post(format!("{base}/v1/inquiries"))
                        .bearer_auth(&token)
                        .json(&json!({ "supplier": supplier, "product": "Pumps", "message": "Hello" }))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    (token, inquiry["id"].as_str().unwrap().to_owned())
                }
            })
            .buffered(8)
            .collect()
            .await;

        // The live connections: half opened while only trade1 takes new connections,
        // half while only trade2 does. One HTTP/1.1 connection each.
        let listen = cluster.client(None, timeout, true);
        let (tx, mut rx) = mpsc::unbounded_channel::<Poke>();
        let opening = Instant::now();
        let mut readers = Vec::new();
        for half in 0..2 {
            cluster.pin(half).await;
            let opened: Vec<(usize, Events)> =
                futures_util::stream::iter((half..connections).step_by(2))
                    .map(|c| {
                        let listen = listen.clone();
                        let base = base.clone();
                        let token = buyers[(c / 2) % accounts].0.clone();
                        async move {
                            let mut events = Events::open(&listen, &base, &token)
                                .await
                                .expect("a live connection");
                            events.expect("ready", Duration::from_secs(60)).await;
                            (c, events)
                        }
                    })
                    .buffer_unordered(100)
                    .collect()
                    .await;
            for (c, mut events) in opened {
                let tx = tx.clone();
                readers.push(tokio::spawn(async move {
                    while let Some((event, _)) = events.next().await {
                        if event == "changed" {
                            let _ = tx.send(Poke {
                                buyer: (c / 2) % accounts,
                                on_two: c % 2 == 1,
                                at: Instant::now(),
                            });
                        }
                    }
                }));
            }
        }
        let opened_in = opening.elapsed();
        let held = [
            cluster.sessions_now(0).await,
            cluster.sessions_now(1).await,
        ];
        report.line(
            "live connections held through the balancer",
            format!("{} accounts", group(accounts as u64)),
            format!(
                "{} (trade1 {}, trade2 {}; HAProxy's open sessions, pooled setup \
                 connections included), opened in {:.1} s",
                group(connections as u64),
                group(held[0]),
                group(held[1]),
                opened_in.as_secs_f64()
            ),
        );

        // Commits through trade1, pokes to every connection of the account, on both.
        cluster.pin(0).await;
        let write = cluster.client(Some(IpAddr::V4(Ipv4Addr::new(127, 7, 0, 1))), timeout, true);
        let post = |b: usize, body: String| {
            let write = write.clone();
            let url = format!("{base}/v1/inquiries/{}/messages", buyers[b].1);
            let token = supplier_token.clone();
            async move {
                let resp = write
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({ "body": body }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
            }
        };
        let per_account = connections / accounts;
        let expected = commits * per_account;
        let fan_start = Instant::now();
        futures_util::stream::iter(0..commits)
            .map(|i| post(i % accounts, format!("fan-out {i}")))
            .buffer_unordered(8)
            .collect::<Vec<()>>()
            .await;
        let committed_in = fan_start.elapsed();
        let mut delivered = [0usize; 2];
        let mut last = fan_start;
        while delivered[0] + delivered[1] < expected {
            match tokio::time::timeout(Duration::from_secs(3), rx.recv()).await {
                Ok(Some(poke)) => {
                    delivered[usize::from(poke.on_two)] += 1;
                    last = last.max(poke.at);
                }
                _ => break,
            }
        }
        let fan_secs = (last - fan_start).as_secs_f64();
        report.line(
            "pokes fanned out (commits through trade1)",
            format!(
                "{commits} commits, 8 at a time, {per_account} connections per account"
            ),
            format!(
                "{} pokes/s ({} of {} delivered: {} on trade1, {} on trade2, in {:.2} s; \
                 commits {}/s)",
                rate((delivered[0] + delivered[1]) as f64, fan_secs),
                group((delivered[0] + delivered[1]) as u64),
                group(expected as u64),
                group(delivered[0] as u64),
                group(delivered[1] as u64),
                fan_secs,
                rate(commits as f64, committed_in.as_secs_f64())
            ),
        );
        // Let stragglers (coalesced or late) go.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {}

        // One commit at a time through trade1; every client of that account held on
        // trade2 reports when its poke came.
        // Connection c belongs to buyer (c / 2) % accounts; the odd ones are on trade2.
        let on_two = |b: usize| {
            (0..connections)
                .filter(|c| c % 2 == 1 && (c / 2) % accounts == b)
                .count()
        };
        let on_two_per_account = on_two(0);
        let mut latencies = Vec::new();
        let mut round_trips = Vec::new();
        let mut missing = 0usize;
        for i in 0..samples {
            let b = i % accounts;
            let sent = Instant::now();
            post(b, format!("latency {i}")).await;
            round_trips.push(sent.elapsed());
            let want = on_two(b);
            let mut got = 0;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while got < want {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(poke)) if poke.buyer == b && poke.on_two => {
                        latencies.push(poke.at - sent);
                        got += 1;
                    }
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
            missing += want - got;
        }
        latencies.sort();
        round_trips.sort();
        report.line(
            "poke latency, commit on trade1 → event on a client held on trade2",
            format!(
                "{samples} commits one at a time, {on_two_per_account} clients of the account on trade2"
            ),
            format!(
                "p50 {}, p99 {}, max {} ({} events{}); the commit's own round trip p50 {}, p99 {}",
                ms(percentile(&latencies, 0.5)),
                ms(percentile(&latencies, 0.99)),
                ms(latencies.last().copied().unwrap_or_default()),
                group(latencies.len() as u64),
                if missing > 0 {
                    format!(", {missing} missing")
                } else {
                    String::new()
                },
                ms(percentile(&round_trips, 0.5)),
                ms(percentile(&round_trips, 0.99)),
            ),
        );
        for reader in readers {
            reader.abort();
        }
        report.load("at the end");
    });
    report.fact(
        "servers",
        "two `trade-server` processes (`cargo bench` profile, optimized), --proxy-protocol",
    );
    report.fact(
        "balancer",
        "HAProxy (Debian 12) running deploy/haproxy.cfg, TLS passed through",
    );
    report.fact(
        "database",
        "PostgreSQL from TRADE_TEST_POSTGRES_URL (a fresh database); documents in s3s-fs",
    );
    report.fact(
        "everything on one machine",
        "clients, HAProxy, both servers, PostgreSQL",
    );
    let method = vec![
        "**Connections**: `GET /v1/events` over HTTP/1.1 through the balancer, one TCP+TLS \
         connection each, 100 opening at a time, each read up to its `ready` event; half \
         opened while HAProxy's runtime API gives trade2 weight 0 (so they are held on \
         trade1), half the other way. The held counts are HAProxy's `scur` per server."
            .to_owned(),
        "**Fan-out**: the supplier posts messages through the balancer with only trade1 \
         taking new connections (8 at a time, round-robin over the accounts); each commit \
         pokes its account's connections on both instances (trade2's through PostgreSQL \
         NOTIFY). Pokes/s = `changed` events received / time from the first commit sent to \
         the last event received. Commits on one account close together may coalesce into \
         one poke (a poke says \"pull now\"), so delivered can be under expected."
            .to_owned(),
        "**Latency**: one commit at a time through trade1; the time from sending the POST \
         to each `changed` event on the account's connections held on trade2 (so it \
         includes the commit's own request)."
            .to_owned(),
    ];
    report.write(
        "balancer.md",
        "Load balancer benchmark",
        COMMAND,
        started.elapsed(),
        &method,
    )?;
    Ok(())
}
