//! `trade-server`: serve the API, or create an operator account. (The demo world and
//! bulk-generated data are `trade-demo`'s.)

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
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
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        /// PEM private key for --cert.
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
        /// Seconds a card payment may wait for the payment provider's answer before the
        /// server asks the provider what became of it (and settles it).
        #[arg(long, default_value_t = 60)]
        settle_card_payments_after: u32,
    },
    /// Create an operator (the platform's payment and dispute team). Reads the password
    /// from TRADE_OPERATOR_PASSWORD.
    CreateOperator {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    let cli = Cli::parse();
    // Every live-event client holds a connection: allow as many as the system permits
    // (the usual soft limit of 1024 would cap the server near a thousand clients).
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-files limit"),
        Err(err) => tracing::warn!(%err, "could not raise the open-files limit"),
    }
    match cli.command.unwrap_or(Command::Serve {
        listen: "127.0.0.1:8443".parse().context("default listen address")?,
        cert: None,
        key: None,
        settle_card_payments_after: 60,
    }) {
        Command::Serve {
            listen,
            cert,
            key,
            settle_card_payments_after,
        } => {
            let mut config = Config::new(cli.storage.data_dir, listen);
            config.database_url = cli.storage.database_url;
            config.settle_card_payments_after =
                jiff::SignedDuration::from_secs(i64::from(settle_card_payments_after));
            if let (Some(cert), Some(key)) = (cert, key) {
                config.tls = Some(TlsSource::Files { cert, key });
            }
            let running = start(config).await.context("starting the server")?;
            println!("Trade server listening on {}", running.base_url());
            if let Some(ca) = &running.ca_path {
                println!("Clients must trust this CA: {}", ca.display());
            }
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            running.shutdown().await;
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
    }
    Ok(())
}
