//! `switchboard hub`: the team's server (docs/hub.md), and its admin subcommands, which work on
//! the same database while hubs run (`switchboard hub --database URL person add …`).

use crate::keys;
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use switchboard_hub::people::{hash, new_code};
use switchboard_hub::replica::Replica;
use switchboard_hub::runner::{Runner, RunnerSettings, TOKEN};
use switchboard_hub::server::{serve, Listen, Settings};
use std::time::Duration;
use switchboard_hub::{Engine, PostgresEngine, Role, SqliteEngine};

#[derive(Args)]
pub struct HubArgs {
    /// Where to listen; anything but loopback needs TLS (or --behind-proxy)
    #[arg(long, default_value = "127.0.0.1:7272")]
    listen: SocketAddr,
    /// postgres://USER@HOST:PORT/NAME for PostgreSQL (any number of hubs), or the path of an
    /// embedded SQLite file [default: hub.db in the OS data directory]
    #[arg(long, env = "SWITCHBOARD_HUB_DATABASE", value_name = "URL")]
    database: Option<String>,
    /// The TLS certificate chain (PEM)
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// The TLS certificate's private key (PEM)
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP off loopback: a reverse proxy in front terminates TLS
    #[arg(long)]
    behind_proxy: bool,
    /// How long this hub holds a platform account without renewing it: how soon another hub
    /// takes its accounts over if it dies
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(3..=3600))]
    lease_seconds: u64,
    #[command(subcommand)]
    admin: Option<Admin>,
}

#[derive(Subcommand)]
enum Admin {
    /// The team: add, list, remove people, and give enrolment codes
    Person {
        #[command(subcommand)]
        command: PersonCommand,
    },
    /// The platform accounts the hub runs (their secrets stay on the hub)
    Account {
        #[command(subcommand)]
        command: Box<AccountCommand>,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Add an account for the hubs to run; its secret is read from an environment variable
    Add(Box<crate::sync::AccountForm>),
    /// The accounts, and which hub runs each
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop running an account (what the log holds of it stays)
    Remove { key: String },
}

#[derive(Subcommand)]
enum PersonCommand {
    /// Add a person; prints the one-time code their desk enrols with
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Everyone on the team
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a person: their desks' tokens stop working at once
    Remove { name: String },
    /// A new enrolment code for a person (another desk, a lost code)
    Code { name: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Agent,
    Supervisor,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Agent => Role::Agent,
            RoleArg::Supervisor => Role::Supervisor,
        }
    }
}

/// How long a code printed here works.
const CODE_TTL: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

async fn engine(database: Option<String>) -> Result<Arc<dyn Engine>> {
    let database = database.unwrap_or_else(|| switchboard_api::paths::default_hub_database().display().to_string());
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresEngine::connect(&database).await?));
    }
    let path = PathBuf::from(database.strip_prefix("sqlite:").unwrap_or(&database));
    let keys = if path.exists() { keys::for_store(&path)? } else { keys::for_new_store()? };
    let engine = SqliteEngine::open_or_create(&path, keys.as_ref()).with_context(|| format!("cannot open the hub's database {}", path.display()))?;
    Ok(Arc::new(engine))
}

pub fn run(args: HubArgs) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        match args.admin {
            Some(Admin::Person { command }) => person(engine(args.database).await?.as_ref(), command).await,
            Some(Admin::Account { command }) => account(engine(args.database).await?.as_ref(), *command).await,
            None => {
                let listen = Listen { addr: args.listen, tls: args.tls_cert.zip(args.tls_key), behind_proxy: args.behind_proxy };
                // Before the database is opened (or made).
                listen.check()?;
                let engine = engine(args.database).await?;
                let scheme = if listen.tls.is_some() { "https" } else { "http" };
                let kind = engine.kind();
                let settings = RunnerSettings::with_lease(Duration::from_secs(args.lease_seconds));
                // The hub's own copy of the log: made afresh at each start, gone at the end.
                let replica_dir = tempfile::Builder::new().prefix("switchboard-hub-").tempdir()?;
                let replica = Arc::new(Replica::start(engine.clone(), replica_dir.path())?);
                // Teammates added before the log named them (an older hub) are named now.
                switchboard_hub::people::announce_all(engine.as_ref(), jiff::Timestamp::now()).await?;
                let runner = Arc::new(Runner::new(engine.clone(), replica.clone(), Runner::holder_name(), settings, Arc::new(jiff::Timestamp::now)));
                let running = tokio::spawn(runner.clone().run());
                let served = serve(
                    engine,
                    replica.clone(),
                    Settings::default(),
                    listen,
                    move |addr| {
                        println!("{scheme}://{addr}");
                        eprintln!("hub: serving on {scheme}://{addr} ({kind}); Ctrl+C stops it");
                    },
                    async {
                        let _ = tokio::signal::ctrl_c().await;
                    },
                )
                .await;
                // Stopping cleanly: the accounts go to another hub at once.
                running.abort();
                runner.stop().await;
                drop(replica);
                served?;
                Ok(())
            }
        }
    })
}

async fn person(engine: &dyn Engine, command: PersonCommand) -> Result<()> {
    let now = jiff::Timestamp::now();
    match command {
        PersonCommand::Add { name, role } => {
            let code = new_code();
            let person = engine.add_person(&name, role.into(), &hash(&code), now + CODE_TTL, now).await?;
            switchboard_hub::people::announce(engine, &person, false, now).await?;
            print_code(&person.name, &code, now + CODE_TTL);
        }
        PersonCommand::List { json } => {
            let people = engine.people().await?;
            if json {
                crate::print_json(&people)?;
            } else {
                for p in people {
                    println!("{}\t{}", p.name, p.role.as_str());
                }
            }
        }
        PersonCommand::Remove { name } => {
            let person = engine.remove_person(&name, now).await?;
            switchboard_hub::people::announce(engine, &person, true, now).await?;
            println!("removed {}; their desks' tokens no longer work", person.name);
        }
        PersonCommand::Code { name } => {
            let code = new_code();
            let person = engine.renew_code(&name, &hash(&code), now + CODE_TTL).await?;
            print_code(&person.name, &code, now + CODE_TTL);
        }
    }
    Ok(())
}

fn print_code(name: &str, code: &str, expires: jiff::Timestamp) {
    println!("{code}");
    let expires = expires.round(jiff::Unit::Second).unwrap_or(expires);
    eprintln!("{name}'s enrolment code: it works once, until {expires}, to enrol one desk");
}

async fn account(engine: &dyn Engine, command: AccountCommand) -> Result<()> {
    match command {
        AccountCommand::Add(form) => {
            let new = form.platform_account()?;
            let (key, config) = new.prepare().map_err(anyhow::Error::msg)?;
            let mut secrets = vec![(TOKEN.to_owned(), new.secret.trim().to_owned())];
            if let Some(keys) = &new.photo_keys {
                secrets.push((switchboard_hub::runner::PHOTO_KEYS.to_owned(), serde_json::to_string(keys)?));
            }
            engine.add_account(&key, &config, &secrets, jiff::Timestamp::now()).await?;
            println!("added {key}; a running hub takes it within its lease time");
        }
        AccountCommand::List { json } => {
            let mut rows = Vec::new();
            for a in engine.accounts().await? {
                let lease = engine.lease(&format!("account:{}", a.key)).await?;
                rows.push((a, lease));
            }
            if json {
                let listed: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|(a, lease)| serde_json::json!({ "key": a.key, "config": a.config, "hub": lease.as_ref().map(|l| &l.holder), "until": lease.as_ref().map(|l| l.expires_at) }))
                    .collect();
                crate::print_json(&listed)?;
            } else {
                for (a, lease) in rows {
                    let running = match lease {
                        Some(l) if l.expires_at > jiff::Timestamp::now() => format!("run by {}", l.holder),
                        _ => "not running".to_owned(),
                    };
                    println!("{}\t{running}", a.key);
                }
            }
        }
        AccountCommand::Remove { key } => {
            engine.remove_account(&key).await?;
            println!("removed {key}; what the log holds of it stays");
        }
    }
    Ok(())
}
