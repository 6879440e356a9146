//! The sandbox's people and what they say: a deterministic world of customers and support
//! conversations in English and Korean, from our own templates. The same seed always gives the
//! same customers, conversations, ids and words; only the times follow the clock, so that each
//! platform's time windows (Telegram keeps updates a day) hold.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Messenger,
    Instagram,
    Sms,
    Whatsapp,
    Telegram,
    X,
}

impl Channel {
    pub const ALL: [Channel; 6] =
        [Channel::Messenger, Channel::Instagram, Channel::Sms, Channel::Whatsapp, Channel::Telegram, Channel::X];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Messenger => "messenger",
            Channel::Instagram => "instagram",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Telegram => "telegram",
            Channel::X => "x",
        }
    }

    /// How far back a platform lets a client read.
    fn history(self) -> i64 {
        match self {
            Channel::Telegram => 20 * 3600,
            Channel::X => 25 * 86_400,
            _ => 14 * 86_400,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Customer,
    Agent,
    Bot,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub kind: &'static str,
    pub name: String,
    pub mime: &'static str,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub speaker: Speaker,
    pub text: String,
    /// Unix seconds.
    pub at: i64,
    pub attachment: Option<Attachment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: usize,
    pub first_name: String,
    pub name: String,
    pub lang: Lang,
    /// E.164, shared by SMS and WhatsApp.
    pub phone: String,
}

impl Customer {
    /// The customer's id on a channel: PSID, IGSID, phone number, chat id or user id.
    pub fn handle(&self, channel: Channel) -> String {
        match channel {
            Channel::Messenger => format!("{}", 6_120_000_000u64 + self.id as u64),
            Channel::Instagram => format!("{}", 17_841_400_000_000u64 + self.id as u64),
            Channel::Sms => self.phone.clone(),
            Channel::Whatsapp => format!("whatsapp:{}", self.phone),
            Channel::Telegram => format!("{}", 500_000_000u64 + self.id as u64),
            Channel::X => format!("{}", X_IDS + self.id as u64),
        }
    }

    /// The customer's Instagram and X username: ASCII, as those platforms require.
    pub fn username(&self) -> String {
        let ascii: String = self.name.chars().filter(|c| c.is_ascii_alphabetic()).flat_map(char::to_lowercase).collect();
        if ascii.is_empty() {
            format!("user_{}", 10_000 + self.id)
        } else {
            format!("{ascii}{}", self.id)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: usize,
    pub channel: Channel,
    pub customer: usize,
    pub turns: Vec<Turn>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct World {
    pub customers: Vec<Customer>,
    pub conversations: Vec<Conversation>,
}

impl World {
    /// The customer whose X user id is `handle`: ids are numbered from the customer's index, so
    /// no search through every customer.
    pub fn x_customer(&self, handle: &str) -> Option<usize> {
        let index = handle.parse::<u64>().ok()?.checked_sub(X_IDS)?;
        let index = usize::try_from(index).ok()?;
        self.customers.get(index).filter(|c| c.handle(Channel::X) == handle).map(|c| c.id)
    }
}

/// Where customers' X user ids start.
const X_IDS: u64 = 1_400_000_000_000;

const EN_FIRST: &[&str] = &[
    "Lena", "Marcus", "Priya", "Tom", "Aisha", "Diego", "Hannah", "Oliver", "Sofia", "Noah", "Grace", "Ethan",
    "Chloe", "Liam", "Maya", "Lucas", "Ava", "Samuel", "Zoe", "Daniel",
];
const EN_LAST: &[&str] = &[
    "Ortiz", "Bennett", "Shah", "Walker", "Khan", "Alvarez", "Fischer", "Reid", "Rossi", "Kim", "Murphy", "Novak",
    "Dubois", "Okafor", "Larsen", "Silva",
];
const KO_FAMILY: &[&str] = &["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오"];
const KO_GIVEN: &[&str] = &[
    "민지", "서준", "지우", "하은", "도윤", "서연", "예준", "수아", "시우", "지민", "유진", "현우", "다은", "준호",
];

/// One support topic: what the customer opens with, how the exchange goes, in both languages.
struct Topic {
    en: [&'static str; 5],
    ko: [&'static str; 5],
}

// Turns: customer opens, agent answers, customer follows up, agent closes, customer thanks.
// {first} is the customer's first name, {order} an order number.
const TOPICS: &[Topic] = &[
    Topic {
        en: [
            "Hi, where is my order {order}? It was supposed to arrive yesterday.",
            "Hi {first}, sorry for the wait! Order {order} left our warehouse on Monday; the carrier shows it out for delivery today.",
            "Great, can I get the tracking link?",
            "Of course: you'll find it under Orders in your account, and I've emailed it to you as well.",
            "Got it, thank you!",
        ],
        ko: [
            "안녕하세요, 주문 {order} 아직 안 왔어요. 어제 도착 예정이었는데요.",
            "{first}님, 기다리게 해서 죄송합니다. 주문 {order}은 월요일에 출고되었고 오늘 배송 예정입니다.",
            "배송 조회 링크 받을 수 있을까요?",
            "네, 계정의 주문 내역에서 확인하실 수 있고 이메일로도 보내드렸습니다.",
            "확인했어요. 감사합니다!",
        ],
    },
    Topic {
        en: [
            "I'd like a refund for order {order}. The kettle arrived with a cracked lid.",
            "I'm sorry about that, {first}. Could you send a photo of the damage?",
            "Here it is.",
            "Thanks. I've issued a full refund for order {order}; you'll see it in 3–5 business days.",
            "Perfect, thanks for the quick help.",
        ],
        ko: [
            "주문번호 {order} 환불 받고 싶어요. 주전자 뚜껑이 깨져서 왔어요.",
            "불편을 드려 죄송합니다, {first}님. 파손 부분 사진을 보내주시겠어요?",
            "사진 보내드려요.",
            "감사합니다. 주문 {order} 전액 환불 처리했습니다. 영업일 기준 3~5일 내 반영됩니다.",
            "빠르게 처리해 주셔서 감사해요.",
        ],
    },
    Topic {
        en: [
            "I can't log in to my account. The password reset email never arrives.",
            "Let's fix that, {first}. Which email address is on the account?",
            "The one I'm writing from. I checked spam too.",
            "I've sent a new reset link and confirmed it was delivered. It's valid for 30 minutes.",
            "That worked, I'm in. Thanks!",
        ],
        ko: [
            "로그인이 안 돼요. 비밀번호 재설정 메일이 오지 않아요.",
            "{first}님, 바로 도와드리겠습니다. 계정에 등록된 이메일 주소가 무엇인가요?",
            "지금 문의하는 이 주소예요. 스팸함도 확인했어요.",
            "새 재설정 링크를 보내드렸고 발송을 확인했습니다. 30분간 유효합니다.",
            "로그인됐어요. 감사합니다!",
        ],
    },
    Topic {
        en: [
            "Can I change the delivery address for order {order}? I'm moving this week.",
            "Yes, {first}, it hasn't shipped yet. What's the new address?",
            "12 Harbour Street, Apt 4B.",
            "Done: order {order} will go to 12 Harbour Street, Apt 4B.",
            "Thank you so much.",
        ],
        ko: [
            "주문 {order} 배송지를 바꿀 수 있을까요? 이번 주에 이사해요.",
            "네, {first}님. 아직 출고 전이라 변경 가능합니다. 새 주소를 알려주세요.",
            "서울시 마포구 월드컵로 12, 4층이에요.",
            "변경 완료했습니다. 주문 {order}은 새 주소로 배송됩니다.",
            "정말 감사합니다.",
        ],
    },
    Topic {
        en: [
            "This is the third time I'm writing about order {order}. Nobody answers and I'm really disappointed.",
            "{first}, I'm very sorry; that should not have happened. I'm taking this over personally.",
            "I just want my money back at this point.",
            "Understood. I've refunded order {order} in full and added a voucher for the trouble.",
            "OK. Thanks for finally sorting it out.",
        ],
        ko: [
            "주문 {order} 때문에 세 번째 문의예요. 아무도 답이 없어서 너무 실망스럽네요.",
            "{first}님, 정말 죄송합니다. 있어서는 안 될 일입니다. 제가 직접 처리하겠습니다.",
            "이제는 그냥 환불받고 싶어요.",
            "알겠습니다. 주문 {order} 전액 환불하고 사과의 의미로 쿠폰을 드렸습니다.",
            "네, 처리해 주셔서 감사합니다.",
        ],
    },
    Topic {
        en: [
            "Just wanted to say the replacement arrived and works perfectly. Great service!",
            "Thank you, {first}! That's lovely to hear. Enjoy it!",
            "Will do!",
            "Have a great day.",
            "You too!",
        ],
        ko: [
            "교환 상품 잘 받았고 아주 잘 작동해요. 서비스 최고예요!",
            "감사합니다, {first}님! 잘 쓰세요!",
            "네!",
            "좋은 하루 보내세요.",
            "감사합니다!",
        ],
    },
];

const BOT_EN: [&str; 3] = [
    "Hi! I'm Acme's assistant. What can I help you with today?",
    "Thanks. Could you share your order number?",
    "Thank you. I'm connecting you with a member of our team now.",
];
const BOT_KO: [&str; 3] = [
    "안녕하세요! Acme 상담 봇입니다. 무엇을 도와드릴까요?",
    "감사합니다. 주문번호를 알려주시겠어요?",
    "감사합니다. 지금 상담원에게 연결해 드리겠습니다.",
];
const LIVE_EN: &[&str] = &[
    "Hello? Is anyone there?",
    "Any update on this?",
    "One more question: do you ship to Canada?",
    "Order {order} still hasn't arrived.",
    "Thanks again!",
];
const LIVE_KO: &[&str] = &[
    "혹시 확인 중이신가요?",
    "진행 상황 알 수 있을까요?",
    "하나 더 궁금한데요, 해외 배송도 되나요?",
    "주문 {order} 아직도 안 왔어요.",
    "다시 한 번 감사드려요!",
];

fn fill(template: &str, first: &str, order: u32) -> String {
    template.replace("{first}", first).replace("{order}", &order.to_string())
}

pub(crate) fn customer(rng: &mut StdRng, id: usize) -> Customer {
    if rng.gen_bool(0.4) {
        let family = KO_FAMILY[rng.gen_range(0..KO_FAMILY.len())];
        let given = KO_GIVEN[rng.gen_range(0..KO_GIVEN.len())];
        Customer {
            id,
            first_name: given.into(),
            name: format!("{family}{given}"),
            lang: Lang::Ko,
            phone: format!("+8210{:08}", 10_000_000 + id),
        }
    } else {
        let first = EN_FIRST[rng.gen_range(0..EN_FIRST.len())];
        let last = EN_LAST[rng.gen_range(0..EN_LAST.len())];
        Customer { id, first_name: first.into(), name: format!("{first} {last}"), lang: Lang::En, phone: format!("+1555{:07}", 1_000_000 + id) }
    }
}

/// `conversations` conversations spread over the six channels; about one customer in eight also
/// writes on a second channel.
pub fn generate(seed: u64, conversations: usize, now: i64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut customers: Vec<Customer> = Vec::new();
    let mut convs = Vec::with_capacity(conversations);
    for id in 0..conversations {
        let channel = Channel::ALL[id % Channel::ALL.len()];
        // Reuse an earlier customer now and then: the same person on another channel. (On one
        // channel a person has one conversation: a phone number or chat is the conversation.)
        let reuse = if !customers.is_empty() && rng.gen_bool(0.12) { Some(rng.gen_range(0..customers.len())) } else { None };
        let cust = if let Some(c) = reuse.filter(|c| !convs.iter().any(|x: &Conversation| x.customer == *c && x.channel == channel)) {
            c
        } else {
            let c = customer(&mut rng, customers.len());
            customers.push(c);
            customers.len() - 1
        };
        let c = &customers[cust];
        let topic = &TOPICS[rng.gen_range(0..TOPICS.len())];
        let lines = if c.lang == Lang::Ko { &topic.ko } else { &topic.en };
        let order = rng.gen_range(1000..99_999);
        // Recent conversations are the most common, as in a live inbox: many are still within
        // the platforms' 24-hour windows, some are days or weeks old.
        let start = now - 600 - (rng.gen::<f64>().powi(2) * (channel.history() - 600) as f64) as i64;
        let mut at = start;
        let mut turns = Vec::new();
        let mut step = |rng: &mut StdRng| {
            at += rng.gen_range(20..1800);
            at.min(now - 1)
        };
        if rng.gen_bool(0.25) {
            let bot = if c.lang == Lang::Ko { &BOT_KO } else { &BOT_EN };
            turns.push(Turn { speaker: Speaker::Bot, text: bot[0].into(), at: step(&mut rng), attachment: None });
            turns.push(Turn { speaker: Speaker::Customer, text: fill(lines[0], &c.first_name, order), at: step(&mut rng), attachment: None });
            turns.push(Turn { speaker: Speaker::Bot, text: bot[1].into(), at: step(&mut rng), attachment: None });
            turns.push(Turn { speaker: Speaker::Customer, text: order.to_string(), at: step(&mut rng), attachment: None });
            turns.push(Turn { speaker: Speaker::Bot, text: bot[2].into(), at: step(&mut rng), attachment: None });
        } else {
            turns.push(Turn { speaker: Speaker::Customer, text: fill(lines[0], &c.first_name, order), at: step(&mut rng), attachment: None });
        }
        // Some conversations are still waiting for the first answer.
        let length = [1, 2, 3, 4, 5][rng.gen_range(0..5)];
        for (i, line) in lines.iter().enumerate().take(length).skip(1) {
            let speaker = if i % 2 == 1 { Speaker::Agent } else { Speaker::Customer };
            let attachment = (i == 2 && rng.gen_bool(0.5)).then(|| Attachment {
                kind: "image",
                name: format!("photo_{}.jpg", id),
                mime: "image/jpeg",
                size: rng.gen_range(40_000..900_000),
            });
            turns.push(Turn { speaker, text: fill(line, &c.first_name, order), at: step(&mut rng), attachment });
        }
        convs.push(Conversation { id, channel, customer: cust, turns });
    }
    World { customers, conversations: convs }
}

/// A new customer message in live mode: someone writes again in an existing conversation.
/// A customer's new message in a random conversation (on `channel`, when given and served).
pub fn live_turn(rng: &mut StdRng, world: &World, now: i64, channel: Option<Channel>) -> (usize, Turn) {
    let candidates: Vec<usize> = match channel {
        Some(ch) => (0..world.conversations.len()).filter(|&i| world.conversations[i].channel == ch).collect(),
        None => vec![],
    };
    let conv = if candidates.is_empty() {
        rng.gen_range(0..world.conversations.len())
    } else {
        candidates[rng.gen_range(0..candidates.len())]
    };
    let c = &world.customers[world.conversations[conv].customer];
    let pool = if c.lang == Lang::Ko { LIVE_KO } else { LIVE_EN };
    let text = fill(pool[rng.gen_range(0..pool.len())], &c.first_name, rng.gen_range(1000..99_999));
    (conv, Turn { speaker: Speaker::Customer, text, at: now, attachment: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_world() {
        let a = generate(7, 300, 1_800_000_000);
        assert_eq!(a, generate(7, 300, 1_800_000_000));
        assert_ne!(a, generate(8, 300, 1_800_000_000));
    }

    #[test]
    fn an_x_user_id_finds_its_customer_and_nothing_else_does() {
        let w = generate(7, 300, 1_800_000_000);
        for c in &w.customers {
            assert_eq!(w.x_customer(&c.handle(Channel::X)), Some(c.id));
        }
        let past = format!("{}", X_IDS + w.customers.len() as u64);
        for unknown in ["", "abc", "1399999999999", "-1", past.as_str(), "01400000000000", "99999999999999999999999"] {
            assert_eq!(w.x_customer(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn the_world_is_varied() {
        let w = generate(1, 600, 1_800_000_000);
        assert_eq!(w.conversations.len(), 600);
        for ch in Channel::ALL {
            assert_eq!(w.conversations.iter().filter(|c| c.channel == ch).count(), 100);
        }
        assert!(w.customers.iter().any(|c| c.lang == Lang::Ko) && w.customers.iter().any(|c| c.lang == Lang::En));
        assert!(w.customers.len() < 600, "some customers write on two channels");
        let mut pairs = std::collections::HashSet::new();
        assert!(w.conversations.iter().all(|c| pairs.insert((c.customer, c.channel))), "one conversation per person and channel");
        assert!(w.conversations.iter().any(|c| c.turns[0].speaker == Speaker::Bot), "bot handoffs");
        assert!(w.conversations.iter().flat_map(|c| &c.turns).any(|t| t.attachment.is_some()));
        for c in &w.conversations {
            assert!(c.turns.windows(2).all(|t| t[0].at <= t[1].at), "turns in time order");
            assert!(c.turns.iter().all(|t| t.at < 1_800_000_000 && !t.text.is_empty()));
        }
    }
}
