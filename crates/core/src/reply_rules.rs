//! What each channel lets a business send: how long a reply may be, and for how long after the
//! customer last wrote. Checked when a reply is queued (so the agent hears at once) and again just
//! before it is sent (a reply queued offline may have outlived its window).

use crate::model::Channel;
use jiff::{SignedDuration, Timestamp};

/// How a reply that is allowed may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Within the standard window (or a channel without one).
    Open,
    /// Messenger and Instagram after 24 hours: only a human agent, with the HUMAN_AGENT tag, for 7 days.
    HumanAgent,
}

const DAY: SignedDuration = SignedDuration::from_hours(24);
const WEEK: SignedDuration = SignedDuration::from_hours(24 * 7);

/// The longest reply a channel takes in one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Chars(usize),
    Bytes(usize),
    /// X's weighted count (see `weighted_length`).
    Weighted(usize),
}

impl Limit {
    /// How much of the limit `text` uses, and the limit.
    pub fn measure(self, text: &str) -> (usize, usize) {
        match self {
            Limit::Chars(max) => (text.chars().count(), max),
            Limit::Bytes(max) => (text.len(), max),
            Limit::Weighted(max) => (weighted_length(text), max),
        }
    }
}

pub fn limit(channel: Channel) -> Option<Limit> {
    match channel {
        Channel::Messenger => Some(Limit::Chars(2000)),
        Channel::Instagram => Some(Limit::Bytes(1000)),
        // Twilio's concatenated-message limit, for SMS and WhatsApp alike.
        Channel::Sms | Channel::Whatsapp => Some(Limit::Chars(1600)),
        Channel::Telegram => Some(Limit::Chars(4096)),
        Channel::X => Some(Limit::Chars(10_000)),
        Channel::Facebook => Some(Limit::Chars(PUBLIC_COMMENT)),
        Channel::Email | Channel::Webchat | Channel::Hub => None,
    }
}

/// A Facebook comment's longest text.
const PUBLIC_COMMENT: usize = 8000;

/// The longest reply a channel takes in public: a post on X, a comment reply on Facebook and
/// Instagram.
pub fn public_limit(channel: Channel) -> Option<Limit> {
    match channel {
        Channel::X => Some(Limit::Weighted(280)),
        Channel::Facebook => Some(Limit::Chars(PUBLIC_COMMENT)),
        Channel::Instagram => Some(Limit::Chars(2200)),
        other => limit(other),
    }
}

/// A post's length as X counts it (twitter-text v3): after NFC normalisation, code points in
/// U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1 and every other one 2
/// (Hangul, CJK, kana, "…", "€"); an emoji, a sequence included, weighs 2; a URL 23 whatever
/// its length.
pub fn weighted_length(text: &str) -> usize {
    use unicode_normalization::UnicodeNormalization;
    use unicode_segmentation::UnicodeSegmentation;
    let text: String = text.nfc().collect();
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]).url_must_have_scheme(false);
    let (mut total, mut at) = (0, 0);
    for link in finder.links(&text) {
        total += weigh(&text[at..link.start()]) + URL_WEIGHT;
        at = link.end();
    }
    return total + weigh(&text[at..]);

    fn weigh(part: &str) -> usize {
        part.graphemes(true).map(|g| if is_emoji(g) { 2 } else { g.chars().map(char_weight).sum() }).sum()
    }
    fn char_weight(c: char) -> usize {
        match c as u32 {
            0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
            _ => 2,
        }
    }
    fn is_emoji(g: &str) -> bool {
        // Pictographs and flags live above U+1F000 or in the symbol blocks; a keycap or a
        // text symbol shown as emoji carries the variation selector U+FE0F or U+20E3.
        g.chars().any(|c| matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x20E3))
    }
}

const URL_WEIGHT: usize = 23;

/// Refuses a text with a `{{placeholder}}` left in it: the customer would see it as written.
fn filled(text: &str) -> Result<(), String> {
    match crate::templates::placeholders(text).first() {
        Some((_, name)) => Err(format!("fill in {{{{{name}}}}} before sending: the customer would see it as written")),
        None => Ok(()),
    }
}

/// Whether `text` fits `limit`; the reason in words for the agent when not.
fn fits(channel: Channel, limit: Option<Limit>, text: &str, in_public: bool) -> Result<(), String> {
    let Some(limit) = limit else { return Ok(()) };
    let (used, max) = limit.measure(text);
    if used <= max {
        return Ok(());
    }
    let place = if in_public { format!("a public reply on {channel}") } else { format!("{channel}") };
    Err(match limit {
        Limit::Chars(_) => format!("{place} takes at most {max} characters; this one has {used}"),
        Limit::Bytes(_) => format!("{place} takes at most {max} bytes; this one has {used} (Korean letters take 3 bytes each)"),
        Limit::Weighted(_) => format!(
            "{place} takes at most {max} by X's count (Korean, Chinese and Japanese letters and emoji count 2, a link 23); this one counts {used}"
        ),
    })
}

/// Whether `text` may be posted as a public reply on `channel` (there is no time window: a
/// public thread can be answered at any time).
pub fn check_public(channel: Channel, text: &str) -> Result<Window, String> {
    filled(text)?;
    fits(channel, public_limit(channel), text, true)?;
    Ok(Window::Open)
}

/// Whether a private reply to a public comment made at `comment_at` may go now on `channel`
/// (Messenger for a Page's comments, Instagram for its media's): one per comment (checked by the
/// store), within 7 days of the comment.
pub fn check_private_reply(channel: Channel, text: &str, comment_at: Timestamp, now: Timestamp) -> Result<Window, String> {
    filled(text)?;
    fits(channel, limit(channel), text, false)?;
    let since = now.duration_since(comment_at);
    if since > WEEK {
        return Err(format!(
            "a private reply to a comment can be sent for 7 days after it was written; this one was written {}. Ask the customer in public to send a message instead",
            ago(since)
        ));
    }
    Ok(Window::Open)
}

fn ago(d: SignedDuration) -> String {
    let hours = d.as_hours();
    if hours < 48 {
        format!("{hours} hours ago")
    } else {
        format!("{} days ago", hours / 24)
    }
}

/// Whether `text` may be sent now on `channel` to a customer who last wrote at `last_inbound`;
/// the reason, in words for the agent, when not. `template`: it goes as an approved template,
/// which WhatsApp takes at any time (and no other channel here takes).
pub fn check(channel: Channel, text: &str, last_inbound: Option<Timestamp>, now: Timestamp, template: bool) -> Result<Window, String> {
    if template {
        return match channel {
            Channel::Whatsapp => Ok(Window::Open),
            other => Err(format!("{other} has no message templates; send a plain reply")),
        };
    }
    filled(text)?;
    fits(channel, limit(channel), text, false)?;
    let windowed = matches!(channel, Channel::Messenger | Channel::Instagram | Channel::Whatsapp);
    if !windowed {
        return Ok(Window::Open);
    }
    let Some(last) = last_inbound else {
        return Err(format!("the customer has not written on {channel} yet; the business cannot start the conversation"));
    };
    let since = now.duration_since(last);
    match channel {
        _ if since <= DAY => Ok(Window::Open),
        Channel::Whatsapp => Err(format!(
            "outside WhatsApp's 24-hour window (the customer last wrote {}); only an approved message template can be sent now (reply with a template)",
            ago(since)
        )),
        _ if since <= WEEK => Ok(Window::HumanAgent),
        _ => Err(format!(
            "{channel} allows replies for 7 days after the customer's last message (with the human-agent tag after 24 hours); they last wrote {}",
            ago(since)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(h: i64) -> Option<Timestamp> {
        Some(Timestamp::from_second(1_800_000_000 - h * 3600).unwrap())
    }

    #[test]
    fn windows_follow_each_platform() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        assert_eq!(check(Channel::Messenger, "hi", hours(2), now, false), Ok(Window::Open));
        assert_eq!(check(Channel::Messenger, "hi", hours(30), now, false), Ok(Window::HumanAgent));
        assert_eq!(check(Channel::Instagram, "hi", hours(24 * 6), now, false), Ok(Window::HumanAgent));
        assert!(check(Channel::Instagram, "hi", hours(24 * 8), now, false).unwrap_err().contains("8 days ago"));
        assert!(check(Channel::Whatsapp, "hi", hours(25), now, false).unwrap_err().contains("template"));
        assert_eq!(check(Channel::Whatsapp, "hi", hours(23), now, false), Ok(Window::Open));
        assert!(check(Channel::Messenger, "hi", None, now, false).unwrap_err().contains("not written"));
        assert_eq!(check(Channel::Telegram, "hi", None, now, false), Ok(Window::Open));
        assert_eq!(check(Channel::Sms, "hi", hours(24 * 90), now, false), Ok(Window::Open));
        assert_eq!(check(Channel::Whatsapp, "", hours(24 * 30), now, true), Ok(Window::Open), "a template goes at any time");
        assert!(check(Channel::Messenger, "", hours(1), now, true).unwrap_err().contains("no message templates"));
    }

    #[test]
    fn lengths_count_what_each_platform_counts() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let korean = "가".repeat(400);
        assert!(check(Channel::Messenger, &korean, hours(1), now, false).is_ok(), "400 characters");
        assert!(check(Channel::Instagram, &korean, hours(1), now, false).unwrap_err().contains("1200"), "but 1200 bytes");
        assert!(check(Channel::Sms, &"a".repeat(1601), hours(1), now, false).unwrap_err().contains("1600"));
        assert!(check(Channel::Telegram, &"a".repeat(4096), None, now, false).is_ok());
    }

    #[test]
    fn x_weighs_posts_as_twitter_text_does() {
        assert_eq!(weighted_length("Thanks for waiting!"), 19, "ASCII weighs 1");
        assert_eq!(weighted_length("감사합니다"), 10, "Hangul weighs 2");
        assert_eq!(weighted_length("\u{1100}\u{1161}"), 2, "jamo are composed first: one syllable");
        assert_eq!(weighted_length("注文"), 4);
        assert_eq!(weighted_length("café “ok” …"), 5 + 4 + 1 + 2, "Latin-1 and curly quotes weigh 1, the ellipsis 2");
        assert_eq!(weighted_length("👍"), 2);
        assert_eq!(weighted_length("👩\u{200D}💻"), 2, "a ZWJ sequence is one emoji");
        assert_eq!(weighted_length("🇰🇷"), 2, "a flag is one emoji");
        assert_eq!(weighted_length("Track it: https://acme.example/orders/12345?utm=very-long-query-string-here"), 10 + 23);
        assert_eq!(weighted_length("see acme.com now"), 4 + 23 + 4, "a bare domain counts as a link");
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        assert!(check_public(Channel::X, &"a".repeat(280)).is_ok());
        assert!(check_public(Channel::X, &"가".repeat(141)).unwrap_err().contains("counts 282"));
        assert!(check_public(Channel::X, &format!("{} https://acme.example/{}", "a".repeat(256), "x".repeat(200))).is_ok(), "256 + 1 + 23");
        assert!(check_public(Channel::Instagram, &"a".repeat(2201)).unwrap_err().contains("2200 characters"));
        assert!(check_private_reply(Channel::Messenger, "hi", Timestamp::from_second(1_800_000_000 - 6 * 86_400).unwrap(), now).is_ok());
        assert!(check_private_reply(Channel::Messenger, "hi", Timestamp::from_second(1_800_000_000 - 8 * 86_400).unwrap(), now)
            .unwrap_err()
            .contains("7 days"));
    }
}
