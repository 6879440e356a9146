//! Canned replies: the variant for a customer's language and the channel, placeholders filled
//! from the customer, their latest order, the agent and the business calendar, and a guarantee
//! that no placeholder is ever sent unfilled (`reply_rules::check` refuses text with one).
//! Also the agent's signature per channel and the order summary the panel inserts.

use crate::interchange::{CalendarRecord, CannedAction, CannedVariant};
use crate::model::{Channel, OrderView};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Every placeholder a canned reply may use.
pub const PLACEHOLDERS: &[&str] = &[
    "customer.first_name",
    "customer.name",
    "order.number",
    "order.status",
    "order.tracking_url",
    "agent.name",
    "agent.initials",
    "business.hours",
];

/// Why a placeholder was left in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum UnfilledReason {
    /// Not a placeholder Switchboard knows (a typo in the library).
    Unknown,
    /// Known, but there is no value for it here (no order, no tracking link yet…).
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Unfilled {
    /// As written, without the braces, e.g. `order.tracking_url`.
    pub placeholder: String,
    pub reason: UnfilledReason,
}

/// A canned reply made ready for one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CannedRender {
    pub shortcut: String,
    pub title: String,
    /// The text with every placeholder that has a value filled in; the others stay as written.
    pub text: String,
    /// The variant chosen (`None`: the one for any language or channel).
    pub language: Option<String>,
    pub channel: Option<Channel>,
    /// Placeholders left in `text`; the reply cannot be sent until the agent fills them.
    pub unfilled: Vec<Unfilled>,
    /// What sending it also does to the conversation.
    pub actions: Vec<CannedAction>,
}

/// Each `{{ name }}` in `text`: its byte range and its name, trimmed.
pub fn placeholders(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| i + from) {
        let Some(close) = text[open + 2..].find("}}").map(|i| i + open + 2) else { break };
        let inner = &text[open + 2..close];
        if inner.contains("{{") {
            // "{{ {{x}}": the inner pair is the placeholder.
            from = open + 2;
            continue;
        }
        found.push((open..close + 2, inner.trim()));
        from = close + 2;
    }
    found
}

/// Fills `body`'s placeholders from `values`; an unknown name, or one without a value, stays as
/// written and is listed.
pub fn render(body: &str, values: &BTreeMap<&'static str, Option<String>>) -> (String, Vec<Unfilled>) {
    let mut text = String::with_capacity(body.len());
    let mut unfilled: Vec<Unfilled> = Vec::new();
    let mut last = 0;
    for (range, name) in placeholders(body) {
        text.push_str(&body[last..range.start]);
        match values.get(name) {
            Some(Some(value)) => text.push_str(value),
            known => {
                let reason = if known.is_some() { UnfilledReason::Empty } else { UnfilledReason::Unknown };
                if !unfilled.iter().any(|u| u.placeholder == name) {
                    unfilled.push(Unfilled { placeholder: name.to_owned(), reason });
                }
                text.push_str(&body[range.clone()]);
            }
        }
        last = range.end;
    }
    text.push_str(&body[last..]);
    (text, unfilled)
}

/// The variant for a customer who prefers `language` (a tag such as `ko-KR`; its first part
/// decides) on `channel`. A variant written for another channel comes only when nothing else
/// does. Then the language matters most (a short English variant is of no use to a customer who
/// reads Korean): the customer's, then English, then one for any language. Then a variant for
/// the channel beats one for any channel.
pub fn choose_variant<'a>(variants: &'a [CannedVariant], language: Option<&str>, channel: Channel) -> Option<&'a CannedVariant> {
    let primary = |tag: &str| tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    let wanted = language.map(primary);
    let language_rank = |v: &CannedVariant| match v.language.as_deref().map(primary) {
        Some(l) if Some(&l) == wanted.as_ref() => 0,
        Some(l) if l == "en" => 1,
        None => 2,
        Some(_) => 3,
    };
    let channel_rank = |v: &CannedVariant| match v.channel {
        Some(c) if c == channel => 0,
        None => 1,
        Some(_) => 2,
    };
    variants.iter().min_by_key(|v| (channel_rank(v) == 2, language_rank(v), channel_rank(v)))
}

/// Up to three initials, e.g. "Mina Park" → "MP", "박민아" → "박".
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).flat_map(char::to_uppercase).take(3).collect()
}

/// How a first name is guessed: the first word of the name.
pub fn first_name(name: &str) -> Option<String> {
    name.split_whitespace().next().map(str::to_owned)
}

/// An order's state in words, e.g. "fulfilled, paid".
pub fn order_status(order: &OrderView) -> Option<String> {
    let words: Vec<String> = [&order.fulfillment_status, &order.financial_status]
        .into_iter()
        .flatten()
        .map(|s| s.replace('_', " ").to_lowercase())
        .collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// A calendar's opening hours on one line, e.g. "Mon–Fri 09:00–18:00, Sat 10:00–14:00 (Asia/Seoul)";
/// days with the same hours are written as a range.
pub fn business_hours(calendar: &CalendarRecord) -> String {
    const DAYS: [(&str, &str); 7] = [("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"), ("sat", "Sat"), ("sun", "Sun")];
    let hours_of = |key: &str| {
        calendar.hours.get(key).filter(|h| !h.is_empty()).map(|spans| spans.iter().map(|[a, b]| format!("{a}–{b}")).collect::<Vec<_>>().join(", "))
    };
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < DAYS.len() {
        let Some(hours) = hours_of(DAYS[i].0) else {
            i += 1;
            continue;
        };
        let mut j = i;
        while j + 1 < DAYS.len() && hours_of(DAYS[j + 1].0).as_ref() == Some(&hours) {
            j += 1;
        }
        let days = if i == j { DAYS[i].1.to_owned() } else { format!("{}–{}", DAYS[i].1, DAYS[j].1) };
        parts.push(format!("{days} {hours}"));
        i = j + 1;
    }
    format!("{} ({})", parts.join(", "), calendar.time_zone)
}

/// An amount as a customer reads it: Shopify writes whole amounts as "44200.0"; the lone ".0"
/// goes, cents stay ("59.00").
pub fn amount(decimal: &str) -> &str {
    decimal.strip_suffix(".0").unwrap_or(decimal)
}

/// An order on a few lines, for the agent to insert into a reply.
pub fn order_summary(order: &OrderView) -> String {
    let mut lines = vec![format!(
        "Order {} ({}): {} {}{}",
        order.number,
        order.placed_at.strftime("%Y-%m-%d"),
        amount(&order.total),
        order.currency,
        order_status(order).map(|s| format!(", {s}")).unwrap_or_default()
    )];
    for item in &order.items {
        lines.push(format!("- {} × {}", item.title, item.quantity));
    }
    for t in &order.tracking {
        match (&t.url, &t.number) {
            (Some(url), _) => lines.push(format!("Tracking: {url}")),
            (None, Some(number)) => lines.push(format!("Tracking: {} {number}", t.carrier.as_deref().unwrap_or_default()).replace("  ", " ")),
            (None, None) => {}
        }
    }
    lines.join("\n")
}

/// Where the agent's name goes at the end of a reply, per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SignatureMode {
    None,
    /// " –MP": short channels.
    Initials,
    /// The signature text on its own lines.
    Full,
}

/// The agent's signature and where it is added. Stored as the `signature` setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignatureSettings {
    /// May use `{{agent.name}}`, `{{agent.initials}}` and `{{business.hours}}`.
    pub text: String,
    /// Channels not named add nothing.
    pub channels: BTreeMap<Channel, SignatureMode>,
}

impl Default for SignatureSettings {
    fn default() -> Self {
        SignatureSettings {
            text: "{{agent.name}}".into(),
            // Public replies carry who wrote them: a Page's comments and posts on X are signed.
            channels: [
                (Channel::Email, SignatureMode::Full),
                (Channel::Sms, SignatureMode::Initials),
                (Channel::Facebook, SignatureMode::Initials),
                (Channel::X, SignatureMode::Initials),
            ]
            .into_iter()
            .collect(),
        }
    }
}

pub const SIGNATURE_SETTING: &str = "signature";

/// The reply with the agent's signature at its end (once: an agent who typed it gets no second).
pub fn signed(text: &str, signature: Option<&str>) -> String {
    let text = text.trim_end();
    match signature {
        Some(sig) if !sig.trim().is_empty() && !text.ends_with(sig.trim()) => format!("{text}{sig}"),
        _ => text.to_owned(),
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn variant(language: Option<&str>, channel: Option<Channel>, body: &str) -> CannedVariant {
        CannedVariant { language: language.map(str::to_owned), channel, body: body.into() }
    }

    #[test]
    fn placeholders_are_filled_and_the_rest_flagged_not_dropped() {
        let values = BTreeMap::from([("customer.first_name", Some("Lena".to_owned())), ("order.tracking_url", None)]);
        let (text, unfilled) = render("Hi {{ customer.first_name }}, track at {{order.tracking_url}} {{order.nmber}} {x}", &values);
        assert_eq!(text, "Hi Lena, track at {{order.tracking_url}} {{order.nmber}} {x}");
        assert_eq!(
            unfilled,
            [
                Unfilled { placeholder: "order.tracking_url".into(), reason: UnfilledReason::Empty },
                Unfilled { placeholder: "order.nmber".into(), reason: UnfilledReason::Unknown },
            ]
        );
        assert_eq!(placeholders("{{ {{a}} }} {{").iter().map(|p| p.1).collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn the_customers_language_wins_then_the_channel() {
        let variants = [
            variant(None, None, "any"),
            variant(Some("en"), Some(Channel::Sms), "en sms"),
            variant(Some("ko"), None, "ko"),
            variant(Some("ko"), Some(Channel::X), "ko x"),
        ];
        let pick = |lang: Option<&str>, ch| choose_variant(&variants, lang, ch).unwrap().body.as_str();
        assert_eq!(pick(Some("ko-KR"), Channel::X), "ko x");
        assert_eq!(pick(Some("ko"), Channel::Sms), "ko");
        assert_eq!(pick(Some("nb"), Channel::Sms), "en sms");
        assert_eq!(pick(None, Channel::Email), "any");
    }

    #[test]
    fn hours_group_days_with_the_same_times() {
        let calendar = CalendarRecord {
            name: "Seoul".into(),
            time_zone: "Asia/Seoul".into(),
            hours: ["mon", "tue", "wed", "thu", "fri"]
                .into_iter()
                .map(|d| (d.to_owned(), vec![["09:00".to_owned(), "18:00".to_owned()]]))
                .chain([("sat".to_owned(), vec![["10:00".to_owned(), "14:00".to_owned()]])])
                .collect(),
            holidays: vec![],
        };
        assert_eq!(business_hours(&calendar), "Mon–Fri 09:00–18:00, Sat 10:00–14:00 (Asia/Seoul)");
        assert_eq!(initials("Mina  park"), "MP");
        assert_eq!((amount("44200.0"), amount("59.00"), amount("10")), ("44200", "59.00", "10"));
    }
}
