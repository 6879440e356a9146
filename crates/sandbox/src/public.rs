//! The public side of the sandbox's world: the business's own posts (Facebook Page posts,
//! Instagram media, posts on X) and what customers say about it in public: comments and replies
//! under the posts, mentions of @acmesupport, and posts that only name the brand (found by
//! search). Questions, complaints, thanks, spam, passing mentions, and a burst of reports of one
//! problem within the last hour. Many authors also write to the business in private on the
//! same platform, under the same id there.

use crate::script::{Customer, Lang, World};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Where a public conversation happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Surface {
    Facebook,
    Instagram,
    X,
}

impl Surface {
    pub const ALL: [Surface; 3] = [Surface::Facebook, Surface::Instagram, Surface::X];

    /// The name the stats and `customer-writes` use.
    pub fn name(self) -> &'static str {
        match self {
            Surface::Facebook => "facebook_comments",
            Surface::Instagram => "instagram_comments",
            Surface::X => "x_mentions",
        }
    }

    /// The private channel the same people write on, under the same ids.
    pub fn private(self) -> crate::script::Channel {
        match self {
            Surface::Facebook => crate::script::Channel::Messenger,
            Surface::Instagram => crate::script::Channel::Instagram,
            Surface::X => crate::script::Channel::X,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Question,
    Complaint,
    Thanks,
    Spam,
    Mention,
    /// One of several reports of the same problem.
    Incident,
}

/// A post of the business's own.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub surface: Surface,
    pub id: String,
    pub text: String,
    pub at: i64,
}

/// A comment, a reply in a comment's thread, or a post on X: by a customer, or (`author: None`)
/// by the business.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub surface: Surface,
    pub id: String,
    /// The business's post it is under (X: the one it answers, if any).
    pub post: Option<usize>,
    /// The comment it answers (Facebook and Instagram: the top-level comment of its thread).
    pub parent: Option<usize>,
    pub author: Option<usize>,
    pub text: String,
    pub at: i64,
    pub hidden: bool,
    /// Answered in private already (Meta allows one private reply per comment).
    pub private_reply: bool,
    pub kind: Option<Kind>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Public {
    pub posts: Vec<Post>,
    /// As written: a comment before its replies, customers' posts in time order (their ids grow
    /// with time); the business's answers follow the comment they answer.
    pub comments: Vec<Comment>,
    next_id: u64,
}

const POSTS_EN: &[(Surface, &str)] = &[
    (Surface::Facebook, "Our spring collection is here: new kettles, mugs and teapots. Free delivery this week!"),
    (Surface::Facebook, "Heads-up: our warehouse is closed on Monday for the public holiday. Orders ship again on Tuesday."),
    (Surface::Facebook, "We've redesigned the Acme app. Tell us what you think!"),
    (Surface::Instagram, "Morning tea in the new Harbour mug ☕️ #acme"),
    (Surface::Instagram, "Behind the scenes at our workshop 🔧"),
    (Surface::Instagram, "Which colour should we make next? 🎨"),
    (Surface::X, "Our spring sale is live: 20% off everything until Sunday."),
    (Surface::X, "We're rolling out a new version of the Acme app today."),
];

/// Per kind: English and Korean texts. `{product}` is filled in.
const TEXTS: &[(Kind, &[&str], &[&str])] = &[
    (
        Kind::Question,
        &["Does the {product} come in black?", "When will the {product} be back in stock?", "Do you ship to Canada?", "How long does delivery take to Busan?"],
        &["{product} 검은색도 있나요?", "{product} 재입고 언제 되나요?", "해외 배송도 되나요?", "부산까지 배송 얼마나 걸리나요?"],
    ),
    (
        Kind::Complaint,
        &["My {product} arrived broken and nobody answers my emails. Unacceptable.", "Worst customer service ever, still waiting for my refund.", "Really disappointed with the {product}, the lid cracked after a week."],
        &["{product} 파손돼서 왔는데 이메일 답도 없네요. 실망스럽습니다.", "환불 아직도 안 됐어요. 최악이에요.", "{product} 일주일 만에 뚜껑이 깨졌어요. 불만입니다."],
    ),
    (
        Kind::Thanks,
        &["Love my new {product}! ❤️", "Thanks for the quick delivery!", "Great service, thank you 🙏"],
        &["새 {product} 너무 좋아요! ❤️", "빠른 배송 감사합니다!", "친절한 상담 감사해요 🙏"],
    ),
    (
        Kind::Spam,
        &["Get 10,000 followers today!!! DM me 💰💰", "Earn $500 a day from home, link in bio"],
        &["팔로워 1만명 늘려드립니다!!! DM 주세요 💰", "하루 50만원 재택 부업, 프로필 링크 확인"],
    ),
    (
        Kind::Mention,
        &["Just got my {product} from Acme, first cup of tea tonight.", "Acme's spring sale is on, in case anyone needs a kettle."],
        &["Acme에서 {product} 샀어요. 오늘 첫 차 마셔요.", "Acme 봄 세일 중이네요."],
    ),
    (
        Kind::Incident,
        &["I can't log in to the Acme app since this morning, is it down?", "Anyone else unable to log in to Acme? Login keeps failing.", "The app says login failed every time. Help!"],
        &["아침부터 Acme 앱 로그인이 안 돼요. 서버 문제인가요?", "Acme 로그인 계속 실패해요. 다른 분들도 그런가요?", "앱에서 로그인 오류가 계속 나요."],
    ),
];

const PRODUCTS_EN: &[&str] = &["Harbour kettle", "Harbour mug", "teapot", "travel flask"];
const PRODUCTS_KO: &[&str] = &["하버 주전자", "하버 머그", "찻주전자", "보온병"];

const BUSINESS_REPLY_EN: &str = "Thanks for reaching out! We've sent you a message.";
const BUSINESS_REPLY_KO: &str = "문의 감사합니다! 메시지로 안내드렸습니다.";

/// The business's handle on X, as mentions write it.
pub const X_HANDLE: &str = "@acmesupport";

fn text_for(rng: &mut StdRng, kind: Kind, lang: Lang) -> String {
    let (_, en, ko) = TEXTS.iter().find(|(k, _, _)| *k == kind).expect("every kind has texts");
    let (pool, products) = if lang == Lang::Ko { (*ko, PRODUCTS_KO) } else { (*en, PRODUCTS_EN) };
    pool[rng.gen_range(0..pool.len())].replace("{product}", products[rng.gen_range(0..products.len())])
}

fn pick_kind(rng: &mut StdRng) -> Kind {
    match rng.gen_range(0..100) {
        0..=29 => Kind::Question,
        30..=49 => Kind::Complaint,
        50..=74 => Kind::Thanks,
        75..=84 => Kind::Spam,
        _ => Kind::Mention,
    }
}

impl Public {
    /// The public world for `world`'s customers: `count` customer comments and mentions over
    /// the last 12 days (some older than 7), a few answered by the business, and a burst of
    /// login reports within the last hour.
    pub fn generate(seed: u64, world: &World, count: usize, now: i64) -> Public {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x9b1c);
        let mut public = Public { next_id: 1, ..Default::default() };
        for (i, (surface, text)) in POSTS_EN.iter().enumerate() {
            let at = now - 13 * 86_400 + (i as i64) * 3 * 3600;
            let id = public.new_id(*surface, None);
            public.posts.push(Post { surface: *surface, id, text: (*text).to_owned(), at });
        }
        let writers: Vec<Vec<usize>> = Surface::ALL.iter().map(|s| private_writers(world, *s)).collect();
        let author = |rng: &mut StdRng, surface: Surface| pick_author(rng, world, &writers[surface as usize]);
        // (at, surface, post, author, kind, text) first; ids follow time order.
        let mut planned: Vec<(i64, Surface, Option<usize>, usize, Kind, String)> = Vec::new();
        for n in 0..count {
            let surface = Surface::ALL[n % 3];
            let author = author(&mut rng, surface);
            let kind = pick_kind(&mut rng);
            let text = text_for(&mut rng, kind, world.customers[author].lang);
            let at = now - 120 - (rng.gen::<f64>() * 12.0 * 86_400.0) as i64;
            let posts: Vec<usize> = (0..public.posts.len()).filter(|&p| public.posts[p].surface == surface).collect();
            // On X about half are replies to the business's posts; the rest stand alone.
            let post = if surface == Surface::X && rng.gen_bool(0.5) { None } else { Some(posts[rng.gen_range(0..posts.len())]) };
            planned.push((at, surface, post, author, kind, text));
        }
        for (k, surface) in [Surface::X, Surface::Facebook, Surface::Instagram, Surface::X].into_iter().enumerate() {
            let author = author(&mut rng, surface);
            let at = now - 2400 + (k as i64) * 420;
            let text = text_for(&mut rng, Kind::Incident, world.customers[author].lang);
            let post = if surface == Surface::X { None } else { public.posts.iter().position(|p| p.surface == surface) };
            planned.push((at, surface, post, author, Kind::Incident, text));
        }
        planned.sort_by_key(|p| p.0);
        for (at, surface, post, author, kind, text) in planned {
            // On X most posts mention @acmesupport; some recent passing mentions only name the
            // brand, for search to find (`BRAND_SEARCH`).
            let brand_only = kind == Kind::Mention && post.is_none() && at > now - 6 * 86_400 && rng.gen_bool(0.7);
            let text = if surface == Surface::X && !brand_only { format!("{X_HANDLE} {text}") } else { text };
            let at = at.max(post.map_or(0, |p| public.posts[p].at + 60));
            let index = public.add(Comment { surface, id: String::new(), post, parent: None, author: Some(author), text, at, hidden: false, private_reply: false, kind: Some(kind) });
            // The business answered some questions and complaints in public already.
            if matches!(kind, Kind::Question | Kind::Complaint) && at < now - 86_400 && rng.gen_bool(0.3) {
                let lang = world.customers[author].lang;
                let reply = if lang == Lang::Ko { BUSINESS_REPLY_KO } else { BUSINESS_REPLY_EN };
                public.add(Comment { surface, id: String::new(), post, parent: Some(index), author: None, text: reply.into(), at: at + 1800, hidden: false, private_reply: false, kind: None });
            }
        }
        // Not sorted afterwards: replies name their comment by its place in the list.
        public
    }

    fn new_id(&mut self, surface: Surface, post: Option<&str>) -> String {
        let n = self.next_id;
        self.next_id += 1;
        match (surface, post) {
            // A Page post is "<page>_<post>"; a comment "<post>_<comment>".
            (Surface::Facebook, None) => format!("{}_{}", crate::credentials::PAGE_ID, 900_000_000_000 + n),
            (Surface::Facebook, Some(post)) => format!("{}_{}", post.rsplit('_').next().unwrap_or(post), 1_200_000_000_000 + n),
            (Surface::Instagram, None) => format!("{}", 17_900_000_000_000_000u64 + n),
            (Surface::Instagram, Some(_)) => format!("{}", 18_000_000_000_000_000u64 + n),
            (Surface::X, _) => format!("{}", 1_850_000_000_000_000_000u64 + n),
        }
    }

    /// Adds a comment (its id assigned now: ids grow with time); returns its index.
    pub fn add(&mut self, mut comment: Comment) -> usize {
        let post_id = comment.post.map(|p| self.posts[p].id.clone());
        comment.id = self.new_id(comment.surface, Some(post_id.as_deref().unwrap_or("0")));
        self.comments.push(comment);
        self.comments.len() - 1
    }

    pub fn find(&self, id: &str) -> Option<usize> {
        self.comments.iter().position(|c| c.id == id)
    }

    /// Whether the comment `id` is hidden.
    pub fn is_hidden(&self, id: &str) -> Option<bool> {
        self.find(id).map(|i| self.comments[i].hidden)
    }

    pub fn find_post(&self, id: &str) -> Option<usize> {
        self.posts.iter().position(|p| p.id == id)
    }

    /// The X conversation a post belongs to: the post that started its reply chain.
    pub fn x_conversation(&self, comment: usize) -> String {
        let c = &self.comments[comment];
        match (c.parent, c.post) {
            (Some(parent), _) => self.x_conversation(parent),
            (None, Some(post)) => self.posts[post].id.clone(),
            (None, None) => c.id.clone(),
        }
    }

    /// A customer writes in public now: a new comment (or mention) of `kind`, by a customer who
    /// also writes in private when one exists. Returns its index.
    pub fn live(&mut self, rng: &mut StdRng, world: &World, surface: Surface, kind: Option<Kind>, text: Option<String>, now: i64) -> usize {
        let author = pick_author(rng, world, &private_writers(world, surface));
        let kind = kind.unwrap_or_else(|| pick_kind(rng));
        let text = text.unwrap_or_else(|| text_for(rng, kind, world.customers[author].lang));
        let posts: Vec<usize> = (0..self.posts.len()).filter(|&p| self.posts[p].surface == surface).collect();
        let post = if surface == Surface::X { None } else { Some(posts[rng.gen_range(0..posts.len())]) };
        let text = if surface == Surface::X && !text.contains(X_HANDLE) { format!("{X_HANDLE} {text}") } else { text };
        self.add(Comment { surface, id: String::new(), post, parent: None, author: Some(author), text, at: now, hidden: false, private_reply: false, kind: Some(kind) })
    }
}

/// The customers who write to the business in private on `surface`'s platform.
fn private_writers(world: &World, surface: Surface) -> Vec<usize> {
    world.conversations.iter().filter(|c| c.channel == surface.private()).map(|c| c.customer).collect()
}

/// Someone to write in public: mostly a customer who also writes to the business in private on
/// the same platform (`private`), so the two conversations meet in one customer.
fn pick_author(rng: &mut StdRng, world: &World, private: &[usize]) -> usize {
    if !private.is_empty() && rng.gen_bool(0.6) {
        private[rng.gen_range(0..private.len())]
    } else {
        rng.gen_range(0..world.customers.len())
    }
}

/// A customer's name as the platform shows it in public.
pub fn display(customer: &Customer, surface: Surface) -> (String, String) {
    match surface {
        Surface::Facebook => (customer.name.clone(), customer.handle(surface.private())),
        Surface::Instagram | Surface::X => (customer.username(), customer.handle(surface.private())),
    }
}

/// A post's length as X counts it: most letters of European scripts weigh 1, others (Hangul,
/// CJK, emoji) 2, and a link 23.
pub fn x_length(text: &str) -> usize {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                23 + (word.len() - trimmed.len())
            } else {
                let mut n = 0;
                let mut chars = word.chars().peekable();
                while let Some(c) = chars.next() {
                    let light = matches!(c as u32, 0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037);
                    n += if light { 1 } else { 2 };
                    // Joiners, selectors and skin tones are part of the emoji before them.
                    while chars.peek().is_some_and(|n| matches!(*n as u32, 0x200D | 0xFE0F | 0x1F3FB..=0x1F3FF | 0x20E3)) {
                        let joiner = chars.next() == Some('\u{200D}');
                        if joiner {
                            chars.next();
                        }
                    }
                }
                n
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_world_is_varied_and_repeatable() {
        let world = crate::script::generate(3, 120, 1_800_000_000);
        let a = Public::generate(3, &world, 60, 1_800_000_000);
        assert_eq!(a, Public::generate(3, &world, 60, 1_800_000_000));
        for kind in [Kind::Question, Kind::Complaint, Kind::Thanks, Kind::Spam, Kind::Incident] {
            assert!(a.comments.iter().any(|c| c.kind == Some(kind)), "{kind:?}");
        }
        assert!(a.comments.iter().any(|c| c.at < 1_800_000_000 - 7 * 86_400), "some too old for a private reply");
        assert!(a.comments.iter().filter(|c| c.kind == Some(Kind::Incident) && c.at > 1_800_000_000 - 3600).count() >= 4);
        assert!(a.comments.iter().any(|c| c.author.is_none() && c.parent.is_some()), "the business answered some");
        for c in &a.comments {
            if let Some(parent) = c.parent {
                let p = &a.comments[parent];
                assert!(p.surface == c.surface && p.post == c.post && p.at < c.at, "a reply is under its comment");
            }
        }
        assert_eq!(x_length("감사합니다 https://acme.example/a/very/long/path"), 10 + 1 + 23);
    }
}
