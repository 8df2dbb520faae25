//! `trade-server`: serve the API, or create an operator account. (The demo world and
//! bulk-generated data are `trade-demo`'s.) Logs go to standard output, for people or,
//! with `--log-format json`, as one JSON object per line. SIGTERM or Ctrl-C shuts the
//! server down, after `--shutdown-drain-secs` of failing readiness.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use trade_server::cli::LogFormat;
use trade_server::tls::TlsSource;
use trade_server::{Config, start};

#[derive(Parser)]
#[command(
    name = "trade-server",
    version,
    about = "The Trade Center trade backend (HTTPS)"
)]
struct Cli {
    #[command(flatten)]
    storage: trade_server::cli::Storage,
    #[command(flatten)]
    logging: trade_server::cli::Logging,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API over HTTPS (the default).
    Serve {
        #[arg(long, env = "TRADE_LISTEN", default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// PEM certificate chain; without it a local CA and leaf are made in the data dir.
        /// Instances behind one load balancer serve the same certificate.
        #[arg(long, env = "TRADE_TLS_CERT", requires = "key")]
        cert: Option<PathBuf>,
        /// PEM private key for --cert.
        #[arg(long, env = "TRADE_TLS_KEY", requires = "cert")]
        key: Option<PathBuf>,
        /// Seconds a card payment may wait for the payment provider's answer before the
        /// server asks the provider what became of it (and settles it).
        #[arg(long, default_value_t = 60)]
        settle_card_payments_after: u32,
        /// Seconds from the start of a shutdown (SIGTERM or Ctrl-C) to closing the
        /// listener, during which requests are still served but readiness
        /// (`/v1/ready`) answers 503: time for a load balancer to notice and send
        /// requests to other instances. A second signal cuts it short.
        #[arg(long, env = "TRADE_SHUTDOWN_DRAIN_SECS", default_value_t = 0)]
        shutdown_drain_secs: u32,
        /// Where uploaded documents are kept: `s3://bucket/prefix` for an S3-compatible
        /// object store shared by several instances (endpoint and credentials from
        /// AWS_ENDPOINT_URL or AWS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
        /// AWS_REGION, AWS_ALLOW_HTTP); the data directory when absent.
        #[arg(long, env = "TRADE_DOCUMENTS")]
        documents: Option<trade_server::documents::DocumentsLocation>,
        /// Every connection starts with a PROXY protocol v2 header naming the client
        /// (HAProxy's `send-proxy-v2`), which the per-address sign-in limits then count
        /// instead of the balancer's address. Connections without it are refused: only
        /// for a server that nothing reaches but the balancer.
        #[arg(long, env = "TRADE_PROXY_PROTOCOL")]
        proxy_protocol: bool,
        #[command(flatten)]
        limits: trade_server::cli::Limits,
    },
    /// Create an operator (the platform's payment and dispute team). Reads the password
    /// from TRADE_OPERATOR_PASSWORD.
    CreateOperator {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Publish exchange-rate tables from a CSV file with the header
    /// `date,base,currency,rate` (one row per rate, e.g. `2026-11-26,USD,EUR,0.9215`:
    /// USD 1 = EUR 0.9215 that day). A table already published for a date is replaced.
    /// Nothing is loaded unless the whole file is valid.
    LoadExchangeRates {
        /// The CSV file.
        file: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.logging.log_format == LogFormat::Json;
    if let Err(err) = cli.logging.init("info,sqlx=warn,tower_http=info") {
        eprintln!("Error: cannot set up logging: {err}");
        return ExitCode::FAILURE;
    }
    match run(cli, json).await {
        Ok(()) => ExitCode::SUCCESS,
        // A log line like every other when logs are JSON, so collectors can read it.
        Err(err) if json => {
            tracing::error!(error = format!("{err:#}"), "trade-server failed");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("Error: {err:?}");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM (what service managers and orchestrators send) or Ctrl-C.
async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted.context("waiting for Ctrl-C"),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
    }
}

async fn run(cli: Cli, json: bool) -> anyhow::Result<()> {
    // Every live-event client holds a connection: allow as many as the system permits
    // (the usual soft limit of 1024 would cap the server near a thousand clients).
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-files limit"),
        Err(err) => tracing::warn!(%err, "could not raise the open-files limit"),
    }
    let command = match cli.command {
        Some(command) => command,
        // No command means `serve`: read the command line again with it, so `serve`'s
        // options come from their environment variables and defaults as usual.
        None => Cli::parse_from(std::env::args_os().chain(["serve".into()]))
            .command
            .context("`serve` parses as a command")?,
    };
    match command {
        Command::Serve {
            listen,
            cert,
            key,
            settle_card_payments_after,
            shutdown_drain_secs,
            documents,
            proxy_protocol,
            limits,
        } => {
            let mut config = Config::new(cli.storage.data_dir, listen);
            config.documents = documents.unwrap_or_default();
            config.proxy_protocol = proxy_protocol;
            config.request_budget = limits.budget();
            config.database_url = cli.storage.database_url;
            config.settle_card_payments_after =
                jiff::SignedDuration::from_secs(i64::from(settle_card_payments_after));
            if let (Some(cert), Some(key)) = (cert, key) {
                config.tls = Some(TlsSource::Files { cert, key });
            }
            let running = start(config).await.context("starting the server")?;
            let ca = running.ca_path.as_ref().map(|ca| ca.display().to_string());
            if json {
                // Standard output holds nothing but log lines.
                tracing::info!(url = %running.base_url(), ca, "serving");
            } else {
                println!("Trade server listening on {}", running.base_url());
                if let Some(ca) = ca {
                    println!("Clients must trust this CA: {ca}");
                }
            }
            shutdown_signal().await?;
            running.begin_shutdown();
            if shutdown_drain_secs > 0 {
                tracing::info!(
                    secs = shutdown_drain_secs,
                    "shutting down: not ready any more; closing the listener after the drain"
                );
                let drain = Duration::from_secs(u64::from(shutdown_drain_secs));
                tokio::select! {
                    () = tokio::time::sleep(drain) => {}
                    _ = shutdown_signal() => {}
                }
            }
            tracing::info!("shutting down");
            running.shutdown().await;
            tracing::info!("stopped");
        }
        Command::CreateOperator { email, name } => {
            let password = std::env::var("TRADE_OPERATOR_PASSWORD")
                .context("set TRADE_OPERATOR_PASSWORD to the new operator's password")?;
            let db = cli.storage.open_db().await?;
            let account = trade_server::auth::operators::create(&db, &email, &name, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
            println!("Created operator {} ({})", account.email, account.id);
        }
        Command::LoadExchangeRates { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let tables = trade_server::rates_csv::parse(&text).map_err(|problems| {
                let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                anyhow::anyhow!("{} is not valid:\n{}", file.display(), lines.join("\n"))
            })?;
            let db = cli.storage.open_db().await?;
            let mut w = db.begin().await?;
            let now = jiff::Timestamp::now();
            for table in &tables {
                trade_server::store::rates::put(&mut w, table, true, now)
                    .await
                    .context("storing a table")?;
            }
            w.commit().await?;
            db.close().await;
            let dates: Vec<String> = tables.iter().map(|t| t.date.to_string()).collect();
            println!(
                "Published {} exchange-rate table(s): {}",
                tables.len(),
                dates.join(", ")
            );
        }
    }
    Ok(())
}
