//! What the sandbox knows: the generated world as each platform shows it, and the replies it has
//! been sent. The list endpoints read the world together; sends, confirmations and live mode
//! write it; request counts and call budgets are kept apart so that counting never waits.

use crate::script::{self, Channel, Speaker, Turn, World};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, RwLock};
use tokio::sync::Notify;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ChannelStats {
    pub conversations: usize,
    /// Messages a client can read through the API (for Telegram: customer messages only; a bot
    /// never sees history).
    pub messages: usize,
    pub replies: usize,
    /// API requests served (faulty ones included).
    pub requests: u64,
    /// Replies whose chat and text had already been received: a client that sent twice.
    pub duplicate_replies: usize,
    /// Requests refused because the client had spent its call budget (see `Config::budget`).
    pub throttled: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Stats {
    pub channels: BTreeMap<String, ChannelStats>,
}

/// A Telegram update: a customer message in conversation `conv`, turn `turn`.
pub(crate) struct Update {
    pub id: i64,
    pub conv: usize,
    pub turn: usize,
}

/// A Twilio message as listed: generated turns and replies created through the API.
#[derive(Clone)]
pub(crate) struct TwilioMessage {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub inbound: bool,
    /// Sent by the business's auto-responder (TwiML), not by a person: `outbound-reply`.
    pub automated: bool,
    pub at: i64,
    pub num_media: u32,
}

/// An X direct-message event: turn `turn` of conversation `conv`. Ids grow with time.
pub(crate) struct XEvent {
    pub id: u64,
    pub conv: usize,
    pub turn: usize,
}

/// How much of its call budget a client has used in the current window.
pub(crate) struct Usage {
    pub used: u32,
    pub limit: u32,
    /// When the oldest call in the window leaves it.
    pub frees_in: std::time::Duration,
}

impl Usage {
    pub fn percent(&self) -> u32 {
        (self.used as u64 * 100 / self.limit.max(1) as u64) as u32
    }

    pub fn over(&self) -> bool {
        self.used > self.limit
    }
}

pub(crate) struct Inner {
    pub world: World,
    /// Unconfirmed updates, oldest first.
    pub updates: std::collections::VecDeque<Update>,
    pub next_update_id: i64,
    /// Newest last.
    pub twilio: Vec<TwilioMessage>,
    /// Where each SID is in `twilio`, for page tokens.
    pub twilio_index: std::collections::HashMap<String, usize>,
    pub next_sid: u64,
    /// Per channel or public surface (by name): replies, and among them duplicates.
    pub replies: BTreeMap<&'static str, (usize, usize)>,
    pub seen_replies: HashSet<(&'static str, String, String)>,
    pub reply_log: Vec<(&'static str, String, String)>,
    /// Posts, comments and mentions (see `public`).
    pub public: crate::public::Public,
    /// Messenger and Instagram conversations by last activity: (time, conversation).
    pub graph: BTreeMap<Channel, std::collections::BTreeSet<(i64, usize)>>,
    /// Oldest first.
    pub x_events: Vec<XEvent>,
    next_x_id: u64,
    pub rng: StdRng,
}

/// Requests served and refused, per channel, and the recent calls per rate-limit bucket (oldest
/// first): kept apart from the world so that counting never waits on a request being answered.
#[derive(Default)]
pub(crate) struct Meter {
    requests: BTreeMap<Channel, u64>,
    throttled: BTreeMap<Channel, u64>,
    calls: std::collections::HashMap<String, std::collections::VecDeque<std::time::Instant>>,
}

pub(crate) struct State {
    /// Read by the list endpoints in parallel; written by sends, confirmations and live mode.
    inner: RwLock<Inner>,
    meter: Mutex<Meter>,
    pub faults: crate::faults::Injector,
    /// Woken when a Telegram update arrives, for the long-poll.
    pub telegram_update: Notify,
    pub budget: Option<crate::Budget>,
    /// The shop's GraphQL cost bucket.
    pub shop: Mutex<crate::cost::Bucket>,
    pub seed: u64,
    /// When the sandbox started (Unix seconds): the shop's order dates count back from it, so
    /// two lookups give the same orders.
    pub started: i64,
    /// The OAuth 1.0a nonces X DM media requests have used.
    pub nonces: crate::oauth1::Nonces,
}

pub(crate) fn twilio_sid(prefix: &str, n: u64) -> String {
    // 32 hex digits, as Twilio's SIDs; derived from a counter so a seed gives the same SIDs.
    format!("{prefix}{:032x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15) as u128 ^ ((n as u128) << 64))
}

impl State {
    pub fn new(config: &crate::Config, now: i64) -> State {
        let world = script::generate(config.seed, config.conversations, now);
        let public = crate::public::Public::generate(config.seed, &world, (config.conversations / 4).clamp(24, 600), now);
        let mut inner = Inner {
            public,
            world,
            updates: std::collections::VecDeque::new(),
            next_update_id: 700_000_001,
            twilio: Vec::new(),
            twilio_index: std::collections::HashMap::new(),
            next_sid: 1,
            replies: BTreeMap::new(),
            seen_replies: HashSet::new(),
            reply_log: Vec::new(),
            graph: BTreeMap::new(),
            x_events: Vec::new(),
            next_x_id: 1_790_000_000_000_000_001,
            rng: StdRng::seed_from_u64(config.seed ^ 0x11fe),
        };
        // Each platform's feed in time order, as if it had recorded the world as it happened.
        let mut timeline: Vec<(i64, usize, usize)> = Vec::new();
        for c in &inner.world.conversations {
            match c.channel {
                Channel::Messenger | Channel::Instagram => {
                    let last = c.turns.last().map_or(0, |t| t.at);
                    inner.graph.entry(c.channel).or_default().insert((last, c.id));
                }
                _ => timeline.extend(c.turns.iter().enumerate().map(|(i, t)| (t.at, c.id, i))),
            }
        }
        timeline.sort();
        for (_, conv, turn) in timeline {
            inner.index_turn(conv, turn, None);
        }
        State {
            inner: RwLock::new(inner),
            meter: Mutex::new(Meter::default()),
            faults: crate::faults::Injector::new(config.faults.clone(), config.seed),
            telegram_update: Notify::new(),
            budget: config.budget,
            shop: Mutex::new(crate::cost::Bucket::default()),
            seed: config.seed,
            started: now,
            nonces: Default::default(),
        }
    }

    /// Spends one call from `bucket`'s budget; `None` when the sandbox has no budget.
    pub fn spend(&self, bucket: &str) -> Option<Usage> {
        let budget = self.budget?;
        let now = std::time::Instant::now();
        let mut meter = self.meter();
        let calls = meter.calls.entry(bucket.to_owned()).or_default();
        while calls.front().is_some_and(|t| now.duration_since(*t) >= budget.window) {
            calls.pop_front();
        }
        // Calls made while over the budget count too: hammering a throttled API prolongs it.
        calls.push_back(now);
        let frees_in = budget.window.saturating_sub(now.duration_since(*calls.front().expect("just pushed")));
        Some(Usage { used: calls.len() as u32, limit: budget.calls, frees_in })
    }

    pub fn count_throttled(&self, channel: Channel) {
        *self.meter().throttled.entry(channel).or_default() += 1;
    }

    fn meter(&self) -> std::sync::MutexGuard<'_, Meter> {
        self.meter.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn lock(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a request to `channel`'s API; returns how many there have been.
    pub fn count_request(&self, channel: Channel) -> u64 {
        let mut meter = self.meter();
        let n = meter.requests.entry(channel).or_default();
        *n += 1;
        *n
    }

    /// Live mode: a customer writes again.
    /// A customer writes now (on `channel`, if given; `text`, if given, else from the templates);
    /// returns the channel and the text.
    pub fn live_message(&self, now: i64, channel: Option<Channel>, text: Option<String>) -> (Channel, String) {
        self.customer_writes(now, channel, text, false, false)
    }

    /// A customer writes now: in one of the world's conversations, or (`new`) a new customer
    /// starts one on `channel`.
    /// A customer writes now (on `channel`, else anywhere): `text`, else a line of the script;
    /// in a new conversation with `new`; with a photo attached with `photo`.
    pub fn customer_writes(&self, now: i64, channel: Option<Channel>, text: Option<String>, new: bool, photo: bool) -> (Channel, String) {
        self.customer_writes_to(now, channel, None, text, new, photo)
    }

    /// `customer_writes`, in the conversation with the customer known on `channel` by `handle`
    /// when given (and there is one).
    pub fn customer_writes_to(&self, now: i64, channel: Option<Channel>, handle: Option<&str>, text: Option<String>, new: bool, photo: bool) -> (Channel, String) {
        let mut inner = self.lock();
        let chosen = match (channel, handle) {
            (Some(ch), Some(h)) => inner.conversation_with(ch, h),
            _ => None,
        };
        let (conv, mut turn) = {
            let Inner { rng, world, .. } = &mut *inner;
            let (conv, turn) = script::live_turn(rng, world, now, channel);
            let conv = chosen.unwrap_or(conv);
            if new {
                let id = world.customers.len();
                let customer = script::customer(rng, id);
                world.customers.push(customer);
                let channel = channel.unwrap_or(world.conversations[conv].channel);
                world.conversations.push(script::Conversation { id: world.conversations.len(), channel, customer: id, turns: Vec::new() });
                (world.conversations.len() - 1, turn)
            } else {
                (conv, turn)
            }
        };
        if let Some(text) = text {
            turn.text = text;
        }
        if photo {
            let name = format!("photo_{conv}_{}.jpg", inner.world.conversations[conv].turns.len());
            turn.attachment = Some(script::Attachment { kind: "image", name, mime: "image/jpeg", size: crate::media::PHOTO.len() as u64 });
        }
        let channel = inner.world.conversations[conv].channel;
        let text = turn.text.clone();
        inner.append_turn(conv, turn, None);
        drop(inner);
        if channel == Channel::Telegram {
            self.telegram_update.notify_waiters();
        }
        (channel, text)
    }

    pub fn stats(&self) -> Stats {
        let inner = self.read();
        let meter = self.meter();
        let mut channels = BTreeMap::new();
        for ch in Channel::ALL {
            let convs: Vec<_> = inner.world.conversations.iter().filter(|c| c.channel == ch).collect();
            let messages = match ch {
                Channel::Telegram => convs.iter().flat_map(|c| &c.turns).filter(|t| t.speaker == Speaker::Customer).count(),
                Channel::Sms | Channel::Whatsapp => inner.twilio.iter().filter(|m| inner.twilio_channel(m) == ch).count(),
                Channel::X => inner.x_events.len(),
                Channel::Messenger | Channel::Instagram => convs.iter().map(|c| c.turns.len()).sum(),
            };
            let (replies, duplicate_replies) = inner.replies.get(ch.name()).copied().unwrap_or_default();
            // Channels that share one API (Twilio: SMS and WhatsApp; the Graph API: Messenger and
            // Instagram) have its requests counted under the first.
            let requests = meter.requests.get(&ch).copied().unwrap_or_default();
            let throttled = meter.throttled.get(&ch).copied().unwrap_or_default();
            channels.insert(
                ch.name().to_owned(),
                ChannelStats { conversations: convs.len(), messages, replies, requests, duplicate_replies, throttled },
            );
        }
        for surface in crate::public::Surface::ALL {
            let p = &inner.public;
            let shown: Vec<usize> = (0..p.comments.len())
                .filter(|&i| p.comments[i].surface == surface)
                // X lists other people's posts only: the business's own answers are not mentions.
                .filter(|&i| surface != crate::public::Surface::X || p.comments[i].author.is_some())
                .collect();
            // A thread: on X an author's posts in one conversation; elsewhere a top-level comment.
            let threads: HashSet<(String, Option<usize>)> = shown
                .iter()
                .map(|&i| match surface {
                    crate::public::Surface::X => (p.x_conversation(i), p.comments[i].author),
                    _ => (p.comments[p.comments[i].parent.unwrap_or(i)].id.clone(), None),
                })
                .collect();
            let (replies, duplicate_replies) = inner.replies.get(surface.name()).copied().unwrap_or_default();
            channels.insert(
                surface.name().to_owned(),
                ChannelStats { conversations: threads.len(), messages: shown.len(), replies, duplicate_replies, requests: 0, throttled: 0 },
            );
        }
        Stats { channels }
    }

    /// A customer writes in public now on `surface` (a comment, a mention); returns the text.
    pub fn public_writes(&self, now: i64, surface: crate::public::Surface, text: Option<String>) -> String {
        let mut inner = self.lock();
        let Inner { rng, world, public, .. } = &mut *inner;
        let i = public.live(rng, world, surface, None, text, now);
        public.comments[i].text.clone()
    }
}

impl Inner {
    /// A new turn in a conversation, shown in its platform's feed. `twilio` overrides the
    /// message Twilio lists for it (a reply created through the API).
    pub fn append_turn(&mut self, conv: usize, turn: Turn, twilio: Option<TwilioMessage>) -> usize {
        let c = &mut self.world.conversations[conv];
        let before = c.turns.last().map_or(0, |t| t.at);
        let after = turn.at;
        c.turns.push(turn);
        let index = c.turns.len() - 1;
        if matches!(c.channel, Channel::Messenger | Channel::Instagram) {
            let order = self.graph.entry(c.channel).or_default();
            order.remove(&(before, conv));
            order.insert((before.max(after), conv));
        }
        self.index_turn(conv, index, twilio);
        index
    }

    fn index_turn(&mut self, conv: usize, turn: usize, twilio: Option<TwilioMessage>) {
        let c = &self.world.conversations[conv];
        match c.channel {
            Channel::Telegram if c.turns[turn].speaker == Speaker::Customer => self.push_update(conv, turn),
            Channel::Sms | Channel::Whatsapp => match twilio {
                Some(message) => self.push_twilio(message),
                None => self.push_twilio_turn(conv, turn),
            },
            Channel::X => {
                let id = self.next_x_id;
                self.next_x_id += 1;
                self.x_events.push(XEvent { id, conv, turn });
            }
            _ => {}
        }
    }

    /// The conversation on `channel` with the customer whose handle there is `handle`.
    pub fn conversation_with(&self, channel: Channel, handle: &str) -> Option<usize> {
        self.world.conversations.iter().position(|c| c.channel == channel && self.world.customers[c.customer].handle(channel) == handle)
    }

    /// A new, empty conversation with `customer` on `channel` (the business writes first: a
    /// private reply to a comment, a direct message on X); returns its index.
    pub fn open_conversation(&mut self, channel: Channel, customer: usize) -> usize {
        let id = self.world.conversations.len();
        self.world.conversations.push(script::Conversation { id, channel, customer, turns: Vec::new() });
        id
    }

    /// When the customer last wrote in a conversation (Unix seconds).
    pub fn last_customer_turn(&self, conv: usize) -> Option<i64> {
        self.world.conversations[conv].turns.iter().rev().find(|t| t.speaker == Speaker::Customer).map(|t| t.at)
    }

    fn push_update(&mut self, conv: usize, turn: usize) {
        let id = self.next_update_id;
        self.next_update_id += 1;
        self.updates.push_back(Update { id, conv, turn });
    }

    pub fn push_twilio_turn(&mut self, conv: usize, turn: usize) {
        let c = &self.world.conversations[conv];
        let t: &Turn = &c.turns[turn];
        let customer = self.world.customers[c.customer].handle(c.channel);
        let business = match c.channel {
            Channel::Whatsapp => crate::credentials::WHATSAPP_NUMBER,
            _ => crate::credentials::SMS_NUMBER,
        };
        let inbound = t.speaker == Speaker::Customer;
        let (from, to) = if inbound { (customer, business.to_owned()) } else { (business.to_owned(), customer) };
        let message = TwilioMessage {
            sid: twilio_sid("SM", self.next_sid),
            from,
            to,
            body: t.text.clone(),
            inbound,
            automated: t.speaker == Speaker::Bot,
            at: t.at,
            num_media: t.attachment.is_some() as u32,
        };
        self.next_sid += 1;
        self.push_twilio(message);
    }

    pub fn push_twilio(&mut self, message: TwilioMessage) {
        self.twilio_index.insert(message.sid.clone(), self.twilio.len());
        self.twilio.push(message);
    }

    pub fn twilio_channel(&self, m: &TwilioMessage) -> Channel {
        if m.from.starts_with("whatsapp:") || m.to.starts_with("whatsapp:") {
            Channel::Whatsapp
        } else {
            Channel::Sms
        }
    }

    /// Counts a reply; a second one with the same chat and text counts as a duplicate.
    pub fn record_reply(&mut self, channel: &'static str, chat: &str, text: &str) {
        let fresh = self.seen_replies.insert((channel, chat.to_owned(), text.to_owned()));
        self.reply_log.push((channel, chat.to_owned(), text.to_owned()));
        let entry = self.replies.entry(channel).or_default();
        entry.0 += 1;
        if !fresh {
            entry.1 += 1;
        }
    }
}
