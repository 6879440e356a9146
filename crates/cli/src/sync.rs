//! The sync commands: connected accounts, sync, replies, the outbox and the demo.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use switchboard_api::keychain::KeychainCredentials;
use switchboard_core::credentials::Credentials;
use switchboard_core::model::{printable, Channel, Template};
use switchboard_core::Store;
use switchboard_sync::{Engine, Mode, SyncEvent};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Messenger,
    Instagram,
    Sms,
    Whatsapp,
    Telegram,
    X,
    Email,
    /// A Facebook Page's posts and their comments
    FacebookComments,
    /// Comments under an Instagram account's media
    InstagramComments,
    /// Mentions of an X account, and brand search (--search)
    XMentions,
    /// A team's hub (--url, --code): the desk follows it, and the hub runs the channels
    Hub,
}

/// A platform account as the command line gives it (`account add`, `hub account add`); its
/// secrets are read from environment variables.
#[derive(Args)]
pub struct AccountForm {
    kind: Kind,
    /// Messenger, Instagram and the Page's comments: the Facebook Page's id; SMS and WhatsApp: the business's number
    /// (+E.164); Telegram: the bot's name; X: the account's username; email: the address
    /// replies come from [default: --user]
    #[arg(long)]
    name: Option<String>,
    /// The platform's API base URL, with the API version where it has one [default: the real
    /// platform, e.g. https://graph.facebook.com/v21.0, https://api.x.com/2]
    #[arg(long)]
    base_url: Option<String>,
    /// The environment variable holding the secret (Messenger and Instagram: the Page access
    /// token; Twilio: auth token; Telegram: bot token; X: OAuth 2.0 user access token)
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
    /// Twilio: the account SID
    #[arg(long)]
    account_sid: Option<String>,
    /// Email: the IMAP server, HOST:PORT (993 with TLS)
    #[arg(long, value_name = "HOST:PORT")]
    imap: Option<String>,
    /// Email: the SMTP server, HOST:PORT (465: TLS; other ports: STARTTLS)
    #[arg(long, value_name = "HOST:PORT")]
    smtp: Option<String>,
    /// Email: the user name for IMAP and SMTP
    #[arg(long)]
    user: Option<String>,
    /// Email: the environment variable holding the password
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Email: encrypt both connections (the default)
    #[arg(long, conflicts_with = "plain")]
    tls: bool,
    /// Email: no encryption; allowed only to servers on this machine
    #[arg(long)]
    plain: bool,
    /// X mentions: also follow posts that match this search (X's query language, e.g.
    /// '"Acme Corp" OR #acme -is:retweet')
    #[arg(long)]
    search: Option<String>,
    /// X direct messages: show DM photos in the app with the X app's OAuth 1.0a keys, read
    /// from PREFIX_API_KEY, PREFIX_API_KEY_SECRET, PREFIX_ACCESS_TOKEN and
    /// PREFIX_ACCESS_TOKEN_SECRET
    #[arg(long, value_name = "PREFIX")]
    photo_keys_env: Option<String>,
    /// A team's hub: its address, e.g. https://hub.example:7272
    #[arg(long)]
    url: Option<String>,
    /// A team's hub: the one-time enrolment code a supervisor gave you
    #[arg(long)]
    code: Option<String>,
}

impl AccountForm {
    /// The platform account the form describes, its secrets read from the environment.
    pub fn platform_account(self) -> Result<switchboard_api::NewAccount> {
        let kind = self.kind;
        if kind == Kind::Hub {
            bail!("a hub is not a platform account: join a team with `switchboard account add hub --url URL --code CODE`");
        }
        let secret_env = if kind == Kind::Email {
            self.password_env.context("email accounts need --password-env")?
        } else {
            self.token_env.context("--token-env is required")?
        };
        let env = |var: &str| std::env::var(var).ok().filter(|s| !s.is_empty()).with_context(|| format!("environment variable {var} is not set"));
        let secret = env(&secret_env)?;
        let photo_keys = match self.photo_keys_env {
            Some(prefix) => Some(switchboard_sync::OAuth1Keys {
                consumer_key: env(&format!("{prefix}_API_KEY"))?,
                consumer_secret: env(&format!("{prefix}_API_KEY_SECRET"))?,
                access_token: env(&format!("{prefix}_ACCESS_TOKEN"))?,
                access_token_secret: env(&format!("{prefix}_ACCESS_TOKEN_SECRET"))?,
            }),
            None => None,
        };
        let channel = match kind {
            Kind::Messenger => Channel::Messenger,
            Kind::Instagram | Kind::InstagramComments => Channel::Instagram,
            Kind::Sms => Channel::Sms,
            Kind::Whatsapp => Channel::Whatsapp,
            Kind::Telegram => Channel::Telegram,
            Kind::X | Kind::XMentions => Channel::X,
            Kind::Email => Channel::Email,
            Kind::FacebookComments => Channel::Facebook,
            Kind::Hub => unreachable!("refused above"),
        };
        if kind != Kind::Email && self.name.is_none() {
            bail!("--name is required");
        }
        Ok(switchboard_api::NewAccount {
            channel,
            name: self.name.unwrap_or_default(),
            secret,
            base_url: self.base_url,
            account_sid: self.account_sid,
            imap: self.imap,
            smtp: self.smtp,
            user: self.user,
            plain: self.plain,
            public: matches!(kind, Kind::FacebookComments | Kind::InstagramComments | Kind::XMentions),
            search: self.search,
            photo_keys,
        })
    }
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Connect an account; its secret is read from an environment variable into the OS keychain
    Add(Box<AccountForm>),
    /// List connected accounts and their sync state
    List {
        #[arg(long)]
        json: bool,
    },
}

/// Enrols this desk in a team's hub with a supervisor's code, and follows it from now on.
fn join_team(store: &mut Store, url: &str, code: &str) -> Result<()> {
    let enrolled = tokio::runtime::Runtime::new()?.block_on(switchboard_sync::hub::enrol(url, code)).context("the hub did not enrol this desk")?;
    let account = switchboard_api::team::join(store, keychain(store)?.as_ref(), url, &enrolled)?;
    println!("joined the team at {} as {} ({}); run `switchboard sync` to follow it", account.key, enrolled.person.name, enrolled.person.role.as_str());
    Ok(())
}

fn keychain(store: &Store) -> Result<Arc<dyn Credentials>> {
    let id = store.id().context("this store has no id for keychain entries")?;
    Ok(Arc::new(KeychainCredentials::new(id)))
}

pub fn account(store: &mut Store, command: AccountCommand) -> Result<()> {
    match command {
        AccountCommand::Add(form) => {
            if form.kind == Kind::Hub {
                let (url, code) = (form.url.context("a hub needs --url")?, form.code.context("a hub needs --code (from a supervisor)")?);
                return join_team(store, &url, &code);
            }
            let new = form.platform_account()?;
            let account = switchboard_api::accounts::connect(store, keychain(store)?.as_ref(), &new)?;
            println!("connected {}; run `switchboard sync` to fetch its conversations", account.key);
            Ok(())
        }
        AccountCommand::List { json } => {
            let accounts = store.accounts()?;
            if json {
                let mut out = std::io::stdout().lock();
                serde_json::to_writer_pretty(&mut out, &accounts)?;
                writeln!(out)?;
            } else if accounts.is_empty() {
                println!("(no accounts; add one with `switchboard account add`)");
            } else {
                for a in accounts {
                    let detail = a.state_detail.map(|d| format!("  ({})", printable(&d))).unwrap_or_default();
                    println!("{:<28} {:<10} {}{detail}", a.key, a.channel, a.state);
                }
            }
            Ok(())
        }
    }
}

/// Shows what the engine does on stderr: a live line per account on a terminal (with the count
/// pulled and the rate, during the initial sync and after), else one line an event.
/// Stop it with `stop`: it shows what is still queued, leaves the lines in their final state, and ends.
fn report_events(engine: &Engine, mut stop: tokio::sync::oneshot::Receiver<()>) -> tokio::task::JoinHandle<()> {
    use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
    use std::io::IsTerminal;
    let mut events = engine.subscribe();
    // A terminal that cannot move the cursor (TERM unset or dumb) gets the plain lines.
    let redraws = std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb");
    let bars = (std::io::stderr().is_terminal() && redraws).then(MultiProgress::new);
    let style = ProgressStyle::with_template("{prefix:28} {spinner} {human_pos:>10} messages  {elapsed:>4}  {wide_msg}")
        .expect("a valid template")
        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
    tokio::spawn(async move {
        let mut lines = std::collections::BTreeMap::<String, ProgressBar>::new();
        let mut totals = std::collections::BTreeMap::<String, usize>::new();
        let mut line = |bars: &MultiProgress, account: &str| {
            lines
                .entry(account.to_owned())
                .or_insert_with(|| {
                    let bar = bars.add(ProgressBar::new_spinner().with_style(style.clone()).with_prefix(account.to_owned()));
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                    bar
                })
                .clone()
        };
        let mut stopping = false;
        loop {
            let received = if stopping {
                match events.try_recv() {
                    Ok(event) => Ok(event),
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    event = events.recv() => event,
                    _ = &mut stop => {
                        stopping = true;
                        continue;
                    }
                }
            };
            let event = match received {
                Ok(event) => event,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            };
            match (&bars, event) {
                (Some(bars), SyncEvent::Progress { account, pulled, caught_up }) => {
                    let bar = line(bars, &account);
                    bar.set_position(pulled as u64);
                    bar.set_message(if caught_up { "caught up" } else { "syncing" });
                }
                (Some(bars), SyncEvent::AccountState { account, state, detail }) => {
                    let detail = detail.map(|d| format!(": {}", printable(&d))).unwrap_or_default();
                    line(bars, &account).set_message(format!("{state}{detail}"));
                }
                (Some(bars), SyncEvent::ReplySent { account, reply, .. }) => {
                    let _ = bars.println(format!("{account}: reply #{reply} sent"));
                }
                (Some(bars), SyncEvent::ReplyFailed { account, reply, reason, .. }) => {
                    let _ = bars.println(format!("{account}: reply #{reply} failed: {}", printable(&reason)));
                }
                (Some(_), SyncEvent::Stored { .. }) | (None, SyncEvent::Progress { .. }) => {}
                (None, SyncEvent::Stored { account, changed, .. }) => {
                    let total = totals.entry(account.clone()).or_default();
                    *total += changed;
                    eprintln!("{account}: {changed} new or changed ({total} this run)");
                }
                (None, SyncEvent::AccountState { account, state, detail }) => {
                    let detail = detail.map(|d| format!(" ({})", printable(&d))).unwrap_or_default();
                    eprintln!("{account}: {state}{detail}");
                }
                (None, SyncEvent::ReplySent { account, reply, .. }) => eprintln!("{account}: reply #{reply} sent"),
                (None, SyncEvent::ReplyFailed { account, reply, reason, .. }) => {
                    eprintln!("{account}: reply #{reply} failed: {}", printable(&reason))
                }
            }
        }
        for bar in lines.values() {
            bar.finish();
        }
    })
}

async fn run_engine(engine: Engine, mode: Mode) -> Result<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let printer = report_events(&engine, stopped);
    let result = match mode {
        Mode::Once => engine.run(mode).await.map(Some),
        Mode::Follow => tokio::select! {
            done = engine.run(mode) => done.map(Some),
            _ = tokio::signal::ctrl_c() => engine.stand_down().await.map(|()| None),
        },
    };
    let _ = stop.send(());
    let _ = printer.await;
    let Some(reports) = result? else { return Ok(()) };
    let mut failed = 0;
    for r in &reports {
        match &r.error {
            None => println!("{}: {} pulled, {} new or changed, {} replies sent", r.account, r.pulled, r.changed, r.sent),
            Some(e) => {
                failed += 1;
                println!("{}: stopped: {}", r.account, printable(e));
            }
        }
    }
    if reports.is_empty() {
        println!("(no accounts; add one with `switchboard account add`)");
    }
    if failed > 0 {
        bail!("{failed} of {} accounts did not finish", reports.len());
    }
    Ok(())
}

pub fn sync(store: Store, follow: bool) -> Result<()> {
    let credentials = keychain(&store)?;
    let engine = Engine::new(switchboard_core::Db::start(store)?, credentials);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run_engine(engine, if follow { Mode::Follow } else { Mode::Once }))
}

/// What a `reply` sends: text, or an approved template with its variables.
pub enum ReplyBody {
    Text(String),
    Template(Template),
}

impl ReplyBody {
    pub fn new(text: Option<String>, template: Option<String>, variables: &[String]) -> Result<ReplyBody> {
        match (text, template) {
            (Some(text), None) => Ok(ReplyBody::Text(text)),
            (None, Some(id)) => {
                let mut parsed = std::collections::BTreeMap::new();
                for v in variables {
                    let (name, value) = v.split_once('=').with_context(|| format!("--var {v:?}: expected NAME=VALUE"))?;
                    parsed.insert(name.trim().to_owned(), value.to_owned());
                }
                Ok(ReplyBody::Template(Template { id, variables: parsed }))
            }
            _ => bail!("give either the reply's text or --template"),
        }
    }
}

pub fn reply(mut store: Store, conversation: i64, body: ReplyBody, queue_only: bool) -> Result<()> {
    let item = match &body {
        ReplyBody::Text(text) => store.enqueue_reply(conversation, text, None, None)?,
        ReplyBody::Template(template) => store.enqueue_template(conversation, template, None, None)?,
    };
    println!("reply #{} queued", item.id);
    if queue_only {
        return Ok(());
    }
    sync(store, false)
}

pub fn outbox(store: &Store, json: bool) -> Result<()> {
    let items = store.outbox(200)?;
    if json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &items)?;
        writeln!(out)?;
        return Ok(());
    }
    for i in &items {
        let error = i.last_error.as_deref().map(|e| format!("  ({})", printable(e))).unwrap_or_default();
        println!("#{:<5} conversation {:<6} {:<8} attempts {}{error}", i.id, i.conversation_id, i.state, i.attempts);
    }
    if items.is_empty() {
        println!("(the outbox is empty)");
    }
    Ok(())
}

/// The sandbox, one account per channel it serves, and a following sync, in one process. The
/// sandbox's credentials are public test values, so they stay in memory, not in the keychain.
pub fn demo(path: &Path, keys: Box<dyn switchboard_core::keys::KeyProvider>, seed: u64, rate: f64) -> Result<()> {
    let mut store = if path.exists() { Store::open(path, keys.as_ref())? } else { Store::create(path, keys.as_ref())? };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let config = switchboard_sandbox::Config { seed, conversations: 120, rate_per_minute: rate, ..Default::default() };
        let sandbox = switchboard_sandbox::Sandbox::start(config, 0).await?;
        let base = sandbox.base_url.clone();
        let credentials = switchboard_demo::connect(&mut store, &base)?;
        println!("demo: sandbox at {base}; syncing 6 accounts into {}", path.display());
        println!("demo: in another terminal: switchboard --store {} inbox", path.display());
        run_engine(Engine::new(switchboard_core::Db::start(store)?, credentials), Mode::Follow).await
    })
}
