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
}

pub fn limit(channel: Channel) -> Option<Limit> {
    match channel {
        Channel::Messenger => Some(Limit::Chars(2000)),
        Channel::Instagram => Some(Limit::Bytes(1000)),
        // Twilio's concatenated-message limit, for SMS and WhatsApp alike.
        Channel::Sms | Channel::Whatsapp => Some(Limit::Chars(1600)),
        Channel::Telegram => Some(Limit::Chars(4096)),
        Channel::X => Some(Limit::Chars(10_000)),
        Channel::Email | Channel::Webchat => None,
    }
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
    if let Some((_, name)) = crate::templates::placeholders(text).first() {
        return Err(format!("fill in {{{{{name}}}}} before sending: the customer would see it as written"));
    }
    match limit(channel) {
        Some(Limit::Chars(max)) if text.chars().count() > max => {
            return Err(format!("{channel} takes replies of at most {max} characters; this one has {}", text.chars().count()))
        }
        Some(Limit::Bytes(max)) if text.len() > max => {
            return Err(format!("{channel} takes replies of at most {max} bytes; this one has {} (Korean letters take 3 bytes each)", text.len()))
        }
        _ => {}
    }
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
}
