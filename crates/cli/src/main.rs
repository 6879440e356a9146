//! `switchboard`: the headless command line over the core.

mod bench;
mod customers;
mod hub;
mod sla;
mod keys;
mod sync;
mod table;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use switchboard_core::interchange::ExportScope;
use switchboard_core::model::{printable, Channel, ConversationStatus, InboxFilter};
use switchboard_core::search::SearchQuery;
use switchboard_core::Store;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Switchboard: every customer conversation in one encrypted local store")]
struct Cli {
    /// The store file [default: the OS data directory]
    #[arg(long, global = true, env = "SWITCHBOARD_STORE", value_name = "PATH")]
    store: Option<PathBuf>,
    /// Also log to stderr, in detail
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new encrypted store (key in the OS keychain, or from SWITCHBOARD_PASSPHRASE)
    Init,
    /// Import records from a JSON Lines file ("-" for standard input)
    Import { file: PathBuf },
    /// Export records as JSON Lines, or conversations as a readable transcript
    Export {
        /// Only this conversation
        #[arg(long, conflicts_with = "canned")]
        conversation: Option<i64>,
        /// Only the canned-reply library
        #[arg(long)]
        canned: bool,
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        /// Write to this file instead of standard output
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// List conversations, newest activity first
    Inbox {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        channel: Option<Channel>,
        #[arg(long)]
        status: Option<ConversationStatus>,
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long)]
        unassigned: bool,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a conversation and its latest messages
    Thread {
        id: i64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over every message (or, with --contacts, over customers)
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        channel: Option<Channel>,
        #[arg(long)]
        status: Option<ConversationStatus>,
        /// Only this customer's conversations (a customer id from `search --contacts`)
        #[arg(long)]
        customer: Option<i64>,
        /// From this date or time (2026-03-01 or RFC 3339)
        #[arg(long)]
        since: Option<String>,
        /// Before this date or time
        #[arg(long)]
        until: Option<String>,
        /// Search customers' names, emails and phones instead of messages
        #[arg(long)]
        contacts: bool,
        #[arg(long)]
        json: bool,
    },
    /// Re-encrypt the store under a new key (a new passphrase from SWITCHBOARD_NEW_PASSPHRASE)
    Rekey,
    /// Row counts per table
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Serve the app to a browser on 127.0.0.1 (web mode); the first line printed is the URL to open
    Serve {
        /// 0 picks a free port
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The built UI [default: ui/dist of this source tree]
        #[arg(long, env = "SWITCHBOARD_UI_DIR")]
        ui: Option<PathBuf>,
        /// Start the bundled sandbox and sync its six demo accounts into the store (live traffic)
        #[arg(long)]
        demo: bool,
        /// With --demo: new customer messages a minute
        #[arg(long, default_value_t = 6.0)]
        rate: f64,
    },
    /// The team's server (see docs/hub.md), or with a subcommand, its administration
    Hub(hub::HubArgs),
    /// SLA clocks of every conversation not solved, most urgent first
    Sla {
        #[arg(long)]
        json: bool,
        /// As of this date or time (2026-03-01 or RFC 3339) instead of now
        #[arg(long)]
        at: Option<String>,
    },
    /// Customers: profile, merge, un-merge
    Customer {
        #[command(subcommand)]
        command: customers::CustomerCommand,
    },
    /// The canned-reply library (import and export it with `import` and `export --canned`)
    Canned {
        #[command(subcommand)]
        command: customers::CannedCommand,
    },
    /// Connected accounts
    Account {
        #[command(subcommand)]
        command: sync::AccountCommand,
    },
    /// Fetch new messages from every account and send queued replies
    Sync {
        /// Keep running: long-poll or poll every account until interrupted
        #[arg(long, conflicts_with = "once")]
        follow: bool,
        /// Catch up once and stop (the default)
        #[arg(long)]
        once: bool,
    },
    /// Reply in a conversation on the customer's channel (sent at once unless --queue-only)
    Reply {
        conversation: i64,
        #[arg(required_unless_present = "template", conflicts_with = "template")]
        text: Option<String>,
        /// Send an approved message template instead (WhatsApp: its Content SID), e.g. after
        /// the 24-hour window
        #[arg(long, value_name = "ID")]
        template: Option<String>,
        /// A template variable, e.g. --var 1=Lena (repeatable)
        #[arg(long = "var", value_name = "NAME=VALUE", requires = "template")]
        variables: Vec<String>,
        /// Only write it to the outbox; the next sync sends it
        #[arg(long)]
        queue_only: bool,
    },
    /// Replies and their delivery state
    Outbox {
        #[arg(long)]
        json: bool,
    },
    /// A live inbox in one command: the sandbox, an account per channel, and a following sync
    Demo {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// New customer messages per minute
        #[arg(long, default_value_t = 6.0)]
        rate: f64,
    },
    /// Run the sandbox: a local server speaking the channel APIs with generated conversations
    Sandbox {
        /// 0 picks a free port
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 120)]
        conversations: usize,
        /// New customer messages per minute (live mode); 0: none
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        /// Faults to inject, e.g. 5xx=0.1,429=0.05,reset=0.05,slow=0.05,truncate=0.02,expire-token=telegram@300
        #[arg(long, default_value = "")]
        faults: String,
        /// Throttle the metered APIs (Graph, X) beyond CALLS per SECONDS, e.g. 200/60 [default: never]
        #[arg(long, value_name = "CALLS/SECONDS")]
        budget: Option<String>,
    },
    /// Benchmarks (see docs/benchmarks.md)
    Bench {
        #[command(subcommand)]
        which: bench::Which,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Jsonl,
    Text,
}

fn main() {
    let cli = Cli::parse();
    switchboard_api::logging::init(cli.verbose);
    if let Err(e) = run(cli) {
        // One line: the outermost context and its cause.
        let mut message = e.to_string();
        if let Some(cause) = e.chain().nth(1) {
            message = format!("{message}: {cause}");
        }
        tracing::error!(error = %message, "command failed");
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn store_path(cli_store: &Option<PathBuf>) -> PathBuf {
    cli_store.clone().unwrap_or_else(switchboard_api::paths::default_store)
}

fn open(path: &Path) -> Result<Store> {
    let keys = keys::for_store(path)?;
    Ok(Store::open(path, keys.as_ref())?)
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn parse_time(s: &str) -> Result<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let date: jiff::civil::Date =
        s.parse().with_context(|| format!("{s:?} is neither a date (2026-03-01) nor an RFC 3339 time"))?;
    Ok(date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp())
}

/// A progress bar on stderr for an import (shown only on a terminal): by bytes of a file of
/// `size`, or by lines read from standard input.
fn import_bar(size: Option<u64>) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressStyle};
    match size {
        Some(size) => ProgressBar::new(size).with_style(
            ProgressStyle::with_template("importing {wide_bar} {binary_bytes}/{binary_total_bytes}  {elapsed}, about {eta} left")
                .expect("a valid template"),
        ),
        None => ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("importing {spinner} {human_pos} lines  {elapsed}").expect("a valid template")),
    }
}

fn run(cli: Cli) -> Result<()> {
    let path = store_path(&cli.store);
    let started = std::time::Instant::now();
    let result = match cli.command {
        Command::Init => {
            let keys = keys::for_new_store()?;
            let mut store = Store::create(&path, keys.as_ref())?;
            store.seed_sla_defaults(&switchboard_core::sla::local_zone())?;
            store.seed_rule_defaults()?;
            println!("created an encrypted store at {} (schema {})", path.display(), store.schema_version()?);
            Ok(())
        }
        Command::Import { file } => {
            let mut store = open(&path)?;
            let report = if file.as_os_str() == "-" {
                let bar = import_bar(None);
                store.import_jsonl_reporting(std::io::stdin().lock(), |at| bar.set_position(at.lines as u64))?
            } else {
                let f = std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
                let bar = import_bar(f.metadata().ok().map(|m| m.len()));
                store.import_jsonl_reporting(BufReader::new(f), |at| bar.set_position(at.bytes))?
            };
            const SHOWN: usize = 20;
            for e in report.errors.iter().take(SHOWN) {
                eprintln!("line {}: {}", e.line, printable(&e.message));
            }
            if report.errors.len() > SHOWN {
                eprintln!("… and {} more bad lines", report.errors.len() - SHOWN);
            }
            if report.records == 0 && !report.errors.is_empty() {
                anyhow::bail!("nothing imported: none of the {} lines is a valid record", report.errors.len());
            }
            tracing::info!(records = report.records, changed = report.changed, skipped = report.errors.len(), "imported");
            println!(
                "imported {} records ({} changed), skipped {} bad lines",
                report.records,
                report.changed,
                report.errors.len()
            );
            Ok(())
        }
        Command::Export { conversation, canned, format, output } => {
            let store = open(&path)?;
            let scope = match (conversation, canned) {
                (Some(id), _) => ExportScope::Conversation(id),
                (None, true) => ExportScope::CannedReplies,
                (None, false) => ExportScope::All,
            };
            let write = |out: &mut dyn Write| -> Result<()> {
                match format {
                    Format::Jsonl => {
                        let n = store.export_jsonl(scope, out)?;
                        tracing::info!(records = n, "exported");
                    }
                    Format::Text => store.export_transcript(scope, out)?,
                }
                Ok(())
            };
            match output {
                None => write(&mut std::io::BufWriter::new(std::io::stdout().lock())),
                Some(file) => {
                    // Written beside the target and renamed into place: never half a file.
                    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                    let mut tmp = tempfile::NamedTempFile::new_in(dir)
                        .with_context(|| format!("cannot write in {}", dir.display()))?;
                    write(&mut std::io::BufWriter::new(tmp.as_file_mut()))?;
                    tmp.as_file().sync_all()?;
                    tmp.persist(&file).with_context(|| format!("cannot write {}", file.display()))?;
                    Ok(())
                }
            }
        }
        Command::Inbox { limit, channel, status, assignee, unassigned, tag, json } => {
            let store = open(&path)?;
            let rows = store.inbox(&InboxFilter { channel, status, assignee, unassigned, tag, limit, ..Default::default() })?;
            if json {
                print_json(&rows)
            } else {
                table::inbox(&rows, jiff::Timestamp::now());
                Ok(())
            }
        }
        Command::Thread { id, limit, json } => {
            let store = open(&path)?;
            let thread = store.thread(id, limit)?;
            if json {
                print_json(&thread)
            } else {
                let mut out = std::io::stdout().lock();
                switchboard_core::store::write_thread(&thread, &mut out)?;
                Ok(())
            }
        }
        Command::Search { query, limit, channel, status, customer, since, until, contacts, json } => {
            let store = open(&path)?;
            if contacts {
                let hits = store.search_contacts(&query, limit)?;
                if json {
                    return print_json(&hits);
                }
                table::contacts(&hits);
                return Ok(());
            }
            let q = SearchQuery {
                text: query,
                channel,
                contact_id: customer,
                status,
                since: since.as_deref().map(parse_time).transpose()?,
                until: until.as_deref().map(parse_time).transpose()?,
                limit,
            };
            let hits = store.search(&q)?;
            tracing::info!(hits = hits.len(), elapsed_ms = started.elapsed().as_millis() as u64, "searched");
            if json {
                print_json(&hits)
            } else {
                table::hits(&hits);
                Ok(())
            }
        }
        Command::Rekey => {
            let keys = keys::for_rekey(&path)?;
            let mut store = Store::open(&path, keys.as_ref())?;
            store.rekey(keys.as_ref())?;
            println!("re-encrypted {} under a new key", path.display());
            Ok(())
        }
        Command::Stats { json } => {
            let store = open(&path)?;
            let stats = store.stats()?;
            if json {
                let map: serde_json::Map<String, serde_json::Value> =
                    stats.iter().map(|s| (s.table.to_owned(), s.rows.into())).collect();
                print_json(&map)
            } else {
                for s in stats {
                    println!("{:<20} {:>10}", s.table, s.rows);
                }
                Ok(())
            }
        }
        Command::Serve { port, ui, demo, rate } => serve(&path, port, ui, demo.then_some(rate)),
        Command::Hub(args) => hub::run(args),
        Command::Sla { json, at } => sla::run(&mut open(&path)?, json, at.as_deref().map(parse_time).transpose()?),
        Command::Customer { command } => customers::customer(&mut open(&path)?, command),
        Command::Canned { command } => customers::canned(&open(&path)?, command),
        Command::Account { command } => sync::account(&mut open(&path)?, command),
        Command::Sync { follow, once: _ } => sync::sync(open(&path)?, follow),
        Command::Reply { conversation, text, template, variables, queue_only } => {
            sync::reply(open(&path)?, conversation, sync::ReplyBody::new(text, template, &variables)?, queue_only)
        }
        Command::Outbox { json } => sync::outbox(&open(&path)?, json),
        Command::Demo { seed, rate } => {
            // Unless told otherwise, the demo keeps its own store beside the real one.
            let path = if cli.store.is_some() { path.clone() } else { path.with_file_name("demo.db") };
            let keys = if path.exists() { keys::for_store(&path)? } else { keys::for_new_store()? };
            sync::demo(&path, keys, seed, rate)
        }
        Command::Sandbox { port, seed, conversations, rate, faults, budget } => sandbox(port, seed, conversations, rate, &faults, budget.as_deref()),
        Command::Bench { which } => bench::run(which),
    };
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "command finished");
    result.map_err(|e| match e.downcast::<switchboard_core::Error>() {
        Ok(core) => anyhow::Error::new(core.for_store(&path)),
        Err(other) => other,
    })
}

/// Web mode. The first line of output is the URL to open, token included; the store's accounts
/// sync while it serves (with `demo`: the sandbox's, at `demo` new messages a minute).
fn serve(path: &Path, port: u16, ui: Option<PathBuf>, demo: Option<f64>) -> Result<()> {
    let ui = ui.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist"));
    // The demo is on offer whether or not it starts now: a new store's first run offers it.
    let rate = demo.unwrap_or(6.0);
    let workspace = switchboard_api::Workspace::open(path, keys::passphrase(), true).with_demo(std::sync::Arc::new(switchboard_demo::Sandboxed::new(rate)));
    let workspace = std::sync::Arc::new(workspace);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let server = switchboard_web::Server::bind(workspace.clone(), port, ui).await?;
        println!("{}", server.url);
        std::io::stdout().flush()?;
        tracing::info!(addr = %server.addr, "web mode listening");
        let mut events = workspace.subscribe();
        tokio::spawn(async move {
            while let Ok(event) = events.recv().await {
                if let switchboard_api::Event::Demo { sandbox } = event {
                    eprintln!("demo: sandbox at {sandbox} (GET {sandbox}/_sandbox/stats)");
                }
            }
        });
        // A locked store syncs once it is unlocked.
        let _syncing = workspace.keep_syncing(demo.is_some());
        server
            .serve(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}

fn sandbox(port: u16, seed: u64, conversations: usize, rate: f64, faults: &str, budget: Option<&str>) -> Result<()> {
    let faults: switchboard_sandbox::Faults = faults.parse().map_err(|e: String| anyhow::anyhow!("--faults: {e}"))?;
    let budget = budget.map(str::parse::<switchboard_sandbox::Budget>).transpose().map_err(|e| anyhow::anyhow!("--budget: {e}"))?;
    anyhow::ensure!(conversations > 0, "--conversations must be at least 1");
    anyhow::ensure!(rate >= 0.0 && rate.is_finite(), "--rate must be a number of messages per minute, 0 or more");
    let config = switchboard_sandbox::Config { seed, conversations, rate_per_minute: rate, faults, budget };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let sandbox = switchboard_sandbox::Sandbox::bind(config.clone(), port).await?;
        println!("{}", sandbox.base_url());
        eprintln!("sandbox: seed {seed}, {conversations} conversations, {rate} new messages a minute; totals at /_sandbox/stats");
        std::io::stdout().flush()?;
        sandbox
            .serve(config, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
