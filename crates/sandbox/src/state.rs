//! What the sandbox knows: the generated world as each platform shows it, and the replies it has
//! been sent. One lock; every request holds it briefly.

use crate::script::{self, Channel, Speaker, Turn, World};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
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
    pub at: i64,
    pub num_media: u32,
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
    pub replies: BTreeMap<Channel, (usize, usize)>,
    pub seen_replies: HashSet<(Channel, String, String)>,
    pub reply_log: Vec<(Channel, String, String)>,
    pub requests: BTreeMap<Channel, u64>,
    rng: StdRng,
}

pub(crate) struct State {
    pub inner: Mutex<Inner>,
    pub faults: crate::faults::Injector,
    /// Woken when a Telegram update arrives, for the long-poll.
    pub telegram_update: Notify,
}

pub(crate) fn twilio_sid(prefix: &str, n: u64) -> String {
    // 32 hex digits, as Twilio's SIDs; derived from a counter so a seed gives the same SIDs.
    format!("{prefix}{:032x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15) as u128 ^ ((n as u128) << 64))
}

impl State {
    pub fn new(config: &crate::Config, now: i64) -> State {
        let world = script::generate(config.seed, config.conversations, now);
        let mut inner = Inner {
            world,
            updates: std::collections::VecDeque::new(),
            next_update_id: 700_000_001,
            twilio: Vec::new(),
            twilio_index: std::collections::HashMap::new(),
            next_sid: 1,
            replies: BTreeMap::new(),
            seen_replies: HashSet::new(),
            reply_log: Vec::new(),
            requests: BTreeMap::new(),
            rng: StdRng::seed_from_u64(config.seed ^ 0x11fe),
        };
        let mut telegram: Vec<(i64, usize, usize)> = Vec::new();
        let mut twilio: Vec<(i64, usize, usize)> = Vec::new();
        for c in &inner.world.conversations {
            for (i, t) in c.turns.iter().enumerate() {
                match c.channel {
                    Channel::Telegram if t.speaker == Speaker::Customer => telegram.push((t.at, c.id, i)),
                    Channel::Sms | Channel::Whatsapp => twilio.push((t.at, c.id, i)),
                    _ => {}
                }
            }
        }
        telegram.sort();
        twilio.sort();
        for (_, conv, turn) in telegram {
            inner.push_update(conv, turn);
        }
        for (_, conv, turn) in twilio {
            inner.push_twilio_turn(conv, turn);
        }
        State {
            inner: Mutex::new(inner),
            faults: crate::faults::Injector::new(config.faults.clone(), config.seed),
            telegram_update: Notify::new(),
        }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a request to `channel`'s API; returns how many there have been.
    pub fn count_request(&self, channel: Channel) -> u64 {
        let mut inner = self.lock();
        let n = inner.requests.entry(channel).or_default();
        *n += 1;
        *n
    }

    /// Live mode: a customer writes again.
    pub fn live_message(&self, now: i64) {
        let mut inner = self.lock();
        let (conv, turn) = {
            let Inner { rng, world, .. } = &mut *inner;
            script::live_turn(rng, world, now)
        };
        let channel = inner.world.conversations[conv].channel;
        inner.world.conversations[conv].turns.push(turn);
        let index = inner.world.conversations[conv].turns.len() - 1;
        match channel {
            Channel::Telegram => {
                inner.push_update(conv, index);
                drop(inner);
                self.telegram_update.notify_waiters();
            }
            Channel::Sms | Channel::Whatsapp => inner.push_twilio_turn(conv, index),
            _ => {}
        }
    }

    pub fn stats(&self) -> Stats {
        let inner = self.lock();
        let mut channels = BTreeMap::new();
        for ch in [Channel::Sms, Channel::Whatsapp, Channel::Telegram] {
            let convs: Vec<_> = inner.world.conversations.iter().filter(|c| c.channel == ch).collect();
            let messages = match ch {
                Channel::Telegram => convs.iter().flat_map(|c| &c.turns).filter(|t| t.speaker == Speaker::Customer).count(),
                _ => inner.twilio.iter().filter(|m| inner.twilio_channel(m) == ch).count(),
            };
            let (replies, duplicate_replies) = inner.replies.get(&ch).copied().unwrap_or_default();
            // SMS and WhatsApp share one Twilio API; its requests are counted under SMS.
            let requests = inner.requests.get(&ch).copied().unwrap_or_default();
            channels.insert(
                ch.name().to_owned(),
                ChannelStats { conversations: convs.len(), messages, replies, requests, duplicate_replies },
            );
        }
        Stats { channels }
    }
}

impl Inner {
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
    pub fn record_reply(&mut self, channel: Channel, chat: &str, text: &str) {
        let fresh = self.seen_replies.insert((channel, chat.to_owned(), text.to_owned()));
        self.reply_log.push((channel, chat.to_owned(), text.to_owned()));
        let entry = self.replies.entry(channel).or_default();
        entry.0 += 1;
        if !fresh {
            entry.1 += 1;
        }
    }
}
