//! The command line: `serve [--demo]`, `migrate`, `seed --scale small|large`,
//! `admin create-user`. Configuration comes from the environment (see `config.rs`).

use crate::app::Application;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::password::Password;
use crate::domain::users::{NewUser, Role};
use crate::store::{self, HashedUser};
use crate::tools::catalog::Scale;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "boxoffice",
    version,
    about = "Box Office: live-event ticketing"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (address from BOXOFFICE_ADDR).
    Serve {
        /// Load the demo catalog first if the store is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load a generated catalog for benchmarks.
    Seed {
        #[arg(long, value_enum, default_value = "small")]
        scale: Scale,
    },
    /// Load tools that measure a running server.
    Loadtest {
        #[command(subcommand)]
        command: LoadtestCommand,
    },
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum LoadtestCommand {
    /// Many buyers hold and pay for one show at once; prints rates, latencies, oversell check.
    Onsale(crate::tools::loadtest::OnsaleArgs),
    /// A mix of search queries over HTTP (and the naive LIKE scan it replaces); prints latency
    /// percentiles and rates per query kind.
    Search(crate::tools::loadtest::SearchArgs),
    /// Live seat-map subscribers while seats are held; prints how soon each change reaches
    /// them.
    SeatStream(crate::tools::seatstream::SeatStreamArgs),
    /// An on-sale behind the waiting room: arrivals, waiting streams, seat-map subscribers;
    /// prints join latency, memory per waiting client, update lags, admissions, oversell check.
    Surge(crate::tools::surge::SurgeArgs),
    /// Writes signed-in buyers for `loadtest surge` straight into the store.
    SurgeBuyers(crate::tools::surge::SurgeBuyersArgs),
    /// Ticket codes verified per second on one core, the code's length and its QR code's size.
    Tickets(crate::tools::ticket_bench::TicketBenchArgs),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user (an admin with --admin, door staff with --staff).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Password,
        #[arg(long)]
        name: String,
        #[arg(long, conflicts_with = "staff")]
        admin: bool,
        /// Door staff: may check tickets in and fetch the scanners' keys.
        #[arg(long)]
        staff: bool,
    },
    /// Retire the ticket signing key and start signing with a new one. Tickets signed before
    /// stay valid: the old public key stays published.
    RotateTicketKey,
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tantivy=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(config.log_json);
    match run(cli.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo } => {
            let started = std::time::Instant::now();
            let app = Application::build(config, Clock::System).await?;
            if demo && app.state().store.is_empty().await? {
                let loaded =
                    crate::seed::demo(&app.state().store, app.state().clock.now_ms()).await?;
                tracing::info!(events = loaded, "loaded the demo catalog");
            }
            // Printed on stdout so scripts can learn a port-0 address.
            println!("listening on http://{}", app.local_addr());
            tracing::info!(
                addr = %app.local_addr(),
                startup_ms = started.elapsed().as_millis() as u64,
                store = ?app.state().store.backend(),
                "serving"
            );
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let store = store::open(config.database_url.as_deref(), &config.data_dir).await?;
            store.migrate().await?;
            println!("migrations applied ({:?})", store.backend());
            Ok(())
        }
        Command::Seed { scale } => {
            let store = store::open(config.database_url.as_deref(), &config.data_dir).await?;
            store.migrate().await?;
            crate::tools::catalog::generated(&store, scale, Clock::System.now_ms()).await
        }
        Command::Loadtest {
            command: LoadtestCommand::Onsale(args),
        } => crate::tools::loadtest::onsale(args).await,
        Command::Loadtest {
            command: LoadtestCommand::Search(args),
        } => crate::tools::loadtest::search(args, config).await,
        Command::Loadtest {
            command: LoadtestCommand::SeatStream(args),
        } => crate::tools::seatstream::seat_stream(args).await,
        Command::Loadtest {
            command: LoadtestCommand::Surge(args),
        } => crate::tools::surge::surge(args).await,
        Command::Loadtest {
            command: LoadtestCommand::SurgeBuyers(args),
        } => {
            let store = store::open(config.database_url.as_deref(), &config.data_dir).await?;
            store.migrate().await?;
            crate::tools::surge::surge_buyers(&store, args).await
        }
        Command::Loadtest {
            command: LoadtestCommand::Tickets(args),
        } => crate::tools::ticket_bench::run(args),
        Command::Admin {
            command: AdminCommand::RotateTicketKey,
        } => {
            let store = store::open(config.database_url.as_deref(), &config.data_dir).await?;
            store.migrate().await?;
            let id = store.rotate_ticket_key(Clock::System.now_ms()).await?;
            println!("ticket key {id} now signs new tickets; earlier keys stay published");
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    email,
                    password,
                    name,
                    admin,
                    staff,
                },
        } => {
            let store = store::open(config.database_url.as_deref(), &config.data_dir).await?;
            store.migrate().await?;
            let role = match (admin, staff) {
                (true, _) => Role::Admin,
                (false, true) => Role::Staff,
                (false, false) => Role::Buyer,
            };
            let user =
                NewUser::parse(&email, &name, password.expose(), role).map_err(|invalid| {
                    let msgs: Vec<_> = invalid
                        .0
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect();
                    anyhow::anyhow!("invalid user: {}", msgs.join("; "))
                })?;
            let hash = crate::accounts::hash_password(user.password.clone())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let created = store
                .create_user(HashedUser::new(user, hash), Clock::System.now_ms())
                .await?;
            println!(
                "created {} user {} ({})",
                created.role.as_str(),
                created.email,
                created.id
            );
            Ok(())
        }
    }
}
