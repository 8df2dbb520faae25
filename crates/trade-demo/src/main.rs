//! `trade-demo`: the trade backend serving a seeded demo world with a supplier bot (what
//! `./dev run` starts), or bulk-generated accounts in a database for benchmarks.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{Parser, Subcommand};
use trade_demo::seed;

#[derive(Parser)]
#[command(
    name = "trade-demo",
    version,
    about = "The Trade Center trade backend with demo data (HTTPS)"
)]
struct Cli {
    #[command(flatten)]
    storage: trade_server::cli::Storage,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a demo (the default): a seeded world (a buyer with known credentials,
    /// suppliers, inquiries, orders in every state) and a supplier bot that answers,
    /// confirms, ships and clears transfers. The world is created once per data
    /// directory and kept on restart.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// Same seed, same world (names, products, prices, messages).
        #[arg(long, default_value_t = trade_demo::DEFAULT_SEED)]
        seed: u64,
        /// How long the bot waits before it acts.
        #[arg(long, default_value_t = 1500)]
        bot_delay_ms: u64,
    },
    /// Fill the database with generated buyers, suppliers, inquiries, messages, orders and
    /// payments (bulk inserts, not the API), with their change feed, for demos and
    /// benchmarks. Prints the buyers' emails and the password.
    Seed {
        #[arg(long)]
        buyers: u32,
        /// Inquiries per buyer.
        #[arg(long)]
        inquiries: u32,
        #[arg(long)]
        messages_per_inquiry: u32,
        /// Orders per buyer.
        #[arg(long)]
        orders: u32,
        #[arg(long, default_value_t = 10)]
        suppliers: u32,
        /// Same seed, same world; seeding twice into one database needs another seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The password of every seeded account.
        #[arg(long, default_value = seed::DEFAULT_PASSWORD)]
        password: String,
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
    match cli.command.unwrap_or(Command::Serve {
        listen: "127.0.0.1:8443".parse().context("default listen address")?,
        seed: trade_demo::DEFAULT_SEED,
        bot_delay_ms: 1500,
    }) {
        Command::Serve {
            listen,
            seed,
            bot_delay_ms,
        } => {
            let mut opts = trade_demo::DemoOptions::new(cli.storage.data_dir, listen);
            opts.database_url = cli.storage.database_url;
            opts.seed = seed;
            opts.bot_delay = std::time::Duration::from_millis(bot_delay_ms);
            let (running, accounts) = trade_demo::start(opts).await.context("starting the demo")?;
            print!("{}", trade_demo::describe(&running, &accounts));
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            running.shutdown().await;
        }
        Command::Seed {
            buyers,
            inquiries,
            messages_per_inquiry,
            orders,
            suppliers,
            seed,
            password,
        } => {
            let db = cli.storage.open_db().await?;
            let opts = seed::SeedOptions {
                buyers,
                suppliers,
                inquiries,
                messages_per_inquiry,
                orders,
                seed,
                password,
                now: jiff::Timestamp::now(),
                progress: true,
            };
            let report = seed::run(&db, opts).await.context("seeding the database")?;
            db.close().await;
            print!("{}", seed::describe(&report));
        }
    }
    Ok(())
}
