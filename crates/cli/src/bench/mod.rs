//! `switchboard bench store`: the figures quality.md asks of the store. Ingests a generated data
//! set (fixed seed) into the encrypted store and into plain SQLite with the same schema, in one
//! run, then times inbox pages, thread opens and searches on the encrypted store, and the pages
//! past the first of each (`paging`).

mod hub;
mod import;
mod paging;
mod sla;
mod sync;

use anyhow::Result;
use clap::Subcommand;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use switchboard_core::interchange::{Author, ConversationRecord, MessageRecord, Record};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::{AuthorKind, Channel, ConversationStatus, Direction, InboxFilter, Priority};
use switchboard_core::search::SearchQuery;
use switchboard_core::Store;

#[derive(Subcommand)]
pub enum Which {
    /// Ingest into SQLCipher and plain SQLite, then time inbox pages, thread opens and searches
    Store {
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        #[arg(long, default_value_t = 100_000)]
        conversations: usize,
        #[arg(long, default_value_t = 50_000)]
        customers: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Messages per transaction
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Timed queries of each kind
        #[arg(long, default_value_t = 500)]
        queries: usize,
        /// Where to put the stores [default: a temporary directory]
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Query the encrypted store left in --dir by an earlier run instead of ingesting again
        #[arg(long, requires = "dir")]
        reuse: bool,
    },
    /// The SLA board and the inbox sorted by next breach over open conversations with a
    /// business-hours policy
    Sla {
        #[arg(long, default_value_t = 100_000)]
        conversations: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Timed boards
        #[arg(long, default_value_t = 20)]
        queries: usize,
    },
    /// Import of an interchange file into a new encrypted store (`switchboard import`), at each
    /// size given
    Import {
        /// Messages in the file, one run per size (comma-separated)
        #[arg(long, value_delimiter = ',', default_value = "1000000")]
        messages: Vec<usize>,
        /// Conversations per million messages (the store bench's shape: 10 messages each)
        #[arg(long, default_value_t = 100_000)]
        conversations: usize,
        /// Customers per million messages
        #[arg(long, default_value_t = 50_000)]
        customers: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// A team: `switchboard hub` running the sandbox's Telegram and SMS accounts, desks
    /// following it; history to every desk, then customer message → desk latency, and the hub's
    /// peak memory, on each engine
    Hub {
        /// Engines to run on, in turn (comma-separated)
        #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
        engines: Vec<String>,
        #[arg(long, default_value_t = 50)]
        desks: usize,
        /// Sandbox conversations (over all channels; the bench follows Telegram and SMS)
        #[arg(long, default_value_t = 3_000)]
        conversations: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Live customer messages timed, one at a time
        #[arg(long, default_value_t = 50)]
        samples: usize,
    },
    /// Initial sync, end to end: the sandbox over HTTP → sync engine → encrypted store
    Sync {
        /// Sandbox conversations, spread over the six channels; the default gives about a
        /// million messages
        #[arg(long, default_value_t = 300_000)]
        conversations: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

pub(super) const ACCOUNTS: &[&str] =
    &["messenger:acme-page", "instagram:acme", "whatsapp:+15550100", "sms:+15550101", "telegram:acme_bot", "x:acme"];
pub(super) const ASSIGNEES: &[&str] = &["sam", "jiwoo", "alex", "mina"];
pub(super) const WORDS: &[&str] =
    &["refund", "order", "delivery", "password", "damaged", "tracking", "cancel", "주문", "환불", "배송", "비밀번호", "교환"];

const EN_IN: &[&str] = &[
    "Hi, where is my order {n}? It was supposed to arrive yesterday.",
    "I would like a refund for order {n}, the item arrived damaged.",
    "I can't log in to my account, the password reset link never arrives.",
    "Can I change the delivery address for order {n}?",
    "Thanks a lot, the replacement arrived and works perfectly!",
    "This is the third time I am writing about order {n}. Very disappointed.",
    "Is the tracking number for {n} correct? The carrier site shows nothing.",
    "Please cancel order {n}, I ordered the wrong size.",
];
const KO_IN: &[&str] = &[
    "주문 {n} 아직 안 왔어요. 언제 도착하나요?",
    "주문번호 {n} 환불 받고 싶어요. 상품이 파손되어 왔습니다.",
    "비밀번호 재설정 메일이 안 와요. 로그인이 안 됩니다.",
    "배송지 주소를 변경할 수 있나요? 주문 {n}입니다.",
    "교환 상품 잘 받았습니다. 감사합니다!",
    "주문 {n} 취소해 주세요. 사이즈를 잘못 골랐어요.",
];
const EN_OUT: &[&str] = &[
    "Thanks for reaching out! I'm checking order {n} for you now.",
    "I've issued a full refund for order {n}; you'll see it in 3–5 business days.",
    "I've sent a new password reset link. Please check your spam folder too.",
    "Your tracking number for order {n} is now active.",
];
const KO_OUT: &[&str] = &[
    "문의 주셔서 감사합니다. 주문 {n} 확인해 드리겠습니다.",
    "주문 {n} 환불 처리되었습니다. 영업일 기준 3~5일 소요됩니다.",
    "배송 조회 번호를 다시 보내드렸습니다.",
];

/// The records of conversation `k`: its settings, then `per` messages.
pub(super) fn conversation(k: usize, per: usize, customers: usize, rng: &mut StdRng, out: &mut Vec<Record>) {
    let account = ACCOUNTS[k % ACCOUNTS.len()];
    let customer = k % customers;
    let korean = customer.is_multiple_of(3);
    let external = format!("c{k}");
    let status = [ConversationStatus::Open, ConversationStatus::Pending, ConversationStatus::Solved, ConversationStatus::Solved]
        [rng.gen_range(0..4)];
    out.push(Record::Conversation(ConversationRecord {
        account: account.into(),
        id: external.clone(),
        customer: None,
        subject: None,
        status,
        priority: [Priority::Low, Priority::Normal, Priority::Normal, Priority::High, Priority::Urgent][rng.gen_range(0..5)],
        assignee: rng.gen_bool(0.3).then(|| ASSIGNEES[rng.gen_range(0..ASSIGNEES.len())].to_owned()),
        public: false,
        unread: 0,
        tags: if rng.gen_bool(0.1) { vec!["refund".into()] } else { vec![] },
        created_at: None,
    }));
    // Conversations start anywhere in the last year; messages follow minutes apart.
    let start = 1_767_225_600 + rng.gen_range(0..365 * 86_400i64);
    let name = if korean { format!("고객{customer}") } else { format!("Customer {customer}") };
    for j in 0..per {
        let order = format!("{}", 1000 + rng.gen_range(0..90_000));
        let incoming = j % 2 == 0;
        let pool = match (incoming, korean) {
            (true, true) => KO_IN,
            (true, false) => EN_IN,
            (false, true) => KO_OUT,
            (false, false) => EN_OUT,
        };
        let text = pool[rng.gen_range(0..pool.len())].replace("{n}", &order);
        let author = if incoming {
            Author { kind: AuthorKind::Customer, name: Some(name.clone()), handle: Some(format!("h{customer}")) }
        } else if j == 1 && rng.gen_bool(0.3) {
            Author { kind: AuthorKind::Bot, name: Some("Acme Bot".into()), handle: None }
        } else {
            Author { kind: AuthorKind::Agent, name: Some(ASSIGNEES[k % ASSIGNEES.len()].into()), handle: None }
        };
        out.push(Record::Message(MessageRecord {
            account: account.into(),
            conversation: external.clone(),
            id: format!("m{k}-{j}"),
            direction: if incoming { Direction::In } else { Direction::Out },
            author,
            text,
            at: jiff::Timestamp::from_second(start + j as i64 * rng.gen_range(30..900)).expect("in range"),
            delivery: None,
            attachments: vec![],
            email: None,
        }));
    }
}

pub(super) struct Percentiles {
    pub(super) p50: Duration,
    pub(super) p99: Duration,
    pub(super) max: Duration,
}

pub(super) fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Percentiles { p50: at(0.5), p99: at(0.99), max: *samples.last().expect("samples") }
}

pub(super) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn ingest(store: &mut Store, messages: usize, conversations: usize, customers: usize, seed: u64, batch: usize) -> Result<Duration> {
    let per = (messages / conversations).max(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut records = Vec::with_capacity(batch + per + 1);
    let mut elapsed = Duration::ZERO;
    for k in 0..conversations {
        conversation(k, per, customers, &mut rng, &mut records);
        if records.len() >= batch || k + 1 == conversations {
            // Only the write is timed, not generating the records.
            let t = Instant::now();
            store.write_batch(&records)?;
            elapsed += t.elapsed();
            records.clear();
        }
    }
    Ok(elapsed)
}

pub(super) fn file_size(path: &std::path::Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|s| {
            let mut p = path.as_os_str().to_owned();
            p.push(s);
            std::fs::metadata(PathBuf::from(p)).map(|m| m.len()).unwrap_or(0)
        })
        .sum()
}

/// The process's peak resident memory (the sandbox's included, as it runs in this process).
pub(super) fn peak_rss_mb() -> f64 {
    memory_mb("VmHWM:")
}

/// A memory figure of this process from /proc, in MB.
pub(super) fn memory_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

pub fn run(which: Which) -> Result<()> {
    let (messages, conversations, customers, seed, batch, queries, dir, reuse) = match which {
        Which::Store { messages, conversations, customers, seed, batch, queries, dir, reuse } => {
            (messages, conversations, customers, seed, batch, queries, dir, reuse)
        }
        Which::Sync { conversations, seed } => return sync::sync(conversations, seed),
        Which::Hub { engines, desks, conversations, seed, samples } => return hub::hub(&engines, desks, conversations, seed, samples),
        Which::Sla { conversations, seed, queries } => return sla::sla(conversations, seed, queries),
        Which::Import { messages, conversations, customers, seed } => return import::import(&messages, conversations, customers, seed),
    };
    let tmp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir)?;
    let total = (messages / conversations).max(1) * conversations;
    println!("bench store: {total} messages in {conversations} conversations from {customers} customers (seed {seed})");

    let enc_path = dir.join("bench-encrypted.db");
    let plain_path = dir.join("bench-plain.db");
    // A fixed key, so that --reuse can open what an earlier run left.
    let keys = StaticKey::new(StoreKey::from_bytes([0x42; 32]));
    let enc = if reuse {
        println!("reusing {}", enc_path.display());
        Store::open(&enc_path, &keys)?
    } else {
        for p in [&enc_path, &plain_path] {
            for s in ["", "-wal", "-shm", ".keyinfo"] {
                let mut q = p.as_os_str().to_owned();
                q.push(s);
                let _ = std::fs::remove_file(PathBuf::from(q));
            }
        }
        let mut enc = Store::create(&enc_path, &keys)?;
        let enc_time = ingest(&mut enc, messages, conversations, customers, seed, batch)?;
        let mut plain = Store::create_unencrypted_for_benchmark(&plain_path)?;
        let plain_time = ingest(&mut plain, messages, conversations, customers, seed, batch)?;
        drop(plain);
        let rate = |d: Duration| total as f64 / d.as_secs_f64();
        println!("ingest, encrypted (SQLCipher): {:>9.0} messages/s  ({:.1} s, {} MB)", rate(enc_time), enc_time.as_secs_f64(), file_size(&enc_path) / 1_000_000);
        println!("ingest, plain SQLite:          {:>9.0} messages/s  ({:.1} s, {} MB)", rate(plain_time), plain_time.as_secs_f64(), file_size(&plain_path) / 1_000_000);
        println!("encrypted / plain time:        {:>9.2}x  (target ≤ 1.5x)", enc_time.as_secs_f64() / plain_time.as_secs_f64());
        enc
    };

    let mut store = enc;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let channels = [Channel::Messenger, Channel::Instagram, Channel::Whatsapp, Channel::Sms, Channel::Telegram, Channel::X];

    // Inbox pages: every view, and the second page of each by keyset paging.
    let mut samples = Vec::with_capacity(queries);
    for i in 0..queries {
        let mut filter = InboxFilter { limit: 50, ..Default::default() };
        match i % 6 {
            0 => {}
            1 => filter.status = Some(ConversationStatus::Open),
            2 => filter.channel = Some(channels[rng.gen_range(0..channels.len())]),
            3 => filter.unassigned = true,
            4 => filter.assignee = Some(ASSIGNEES[rng.gen_range(0..ASSIGNEES.len())].into()),
            _ => filter.tag = Some("refund".into()),
        }
        let t = Instant::now();
        let page = store.inbox_page(&filter, None)?;
        samples.push(t.elapsed());
        if let Some(next) = &page.next {
            let t = Instant::now();
            store.inbox_page(&filter, Some(next))?;
            samples.push(t.elapsed());
        }
    }
    let p = percentiles(samples);
    println!("inbox page (50 rows, 6 views + page 2): p50 {}  p99 {}  max {}  (target p50 ≤ 5 ms, p99 ≤ 20 ms)", ms(p.p50), ms(p.p99), ms(p.max));

    let mut samples = Vec::with_capacity(queries);
    for _ in 0..queries {
        let id = rng.gen_range(1..=conversations as i64);
        let t = Instant::now();
        let thread = store.thread(id, 100)?;
        samples.push(t.elapsed());
        assert!(!thread.messages.is_empty());
    }
    let p = percentiles(samples);
    println!("thread open (≤100 messages + customer): p50 {}  p99 {}  max {}  (target p99 ≤ 20 ms)", ms(p.p50), ms(p.p99), ms(p.max));

    const KINDS: [&str; 4] = ["no filter", "channel", "status", "date"];
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); KINDS.len()];
    let mut found = 0usize;
    for i in 0..queries {
        let mut q = SearchQuery { text: WORDS[rng.gen_range(0..WORDS.len())].into(), limit: 50, ..Default::default() };
        match i % 4 {
            0 => {}
            1 => q.channel = Some(channels[rng.gen_range(0..channels.len())]),
            2 => q.status = Some(ConversationStatus::Open),
            _ => q.since = Some(jiff::Timestamp::from_second(1_767_225_600 + 300 * 86_400).expect("in range")),
        }
        let t = Instant::now();
        found += store.search(&q)?.len();
        by_kind[i % 4].push(t.elapsed());
    }
    let p = percentiles(by_kind.concat());
    println!(
        "search (50 results, common words, 4 filters): p50 {}  p99 {}  max {}  (target p99 ≤ 50 ms; {:.0} hits/query)",
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
        found as f64 / queries as f64
    );
    for (kind, samples) in KINDS.iter().zip(by_kind) {
        let p = percentiles(samples);
        println!("  search, {kind:<10} p50 {}  p99 {}", ms(p.p50), ms(p.p99));
    }
    // Last: its long histories are added to the store.
    paging::paging(&mut store)
}
