//! Setting expectations: an automatic acknowledgement when a customer starts a conversation.
//! In business hours it says how soon a person usually answers (the policy's first-reply target,
//! or the measured median); after hours it gives the opening hours and self-service links. Per
//! account and language, at most once per conversation per period, through the outbox as the
//! bot's message, and never where the channel's rules would refuse it or in public.

use crate::model::time::to_ms;
use super::Store;
use crate::error::Result;
use crate::model::OutboxItem;
use crate::sla::Calendar;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const EXPECTATIONS_SETTING: &str = "expectations";

/// The `expectations` setting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Expectations {
    /// Account keys that acknowledge new conversations.
    pub accounts: Vec<String>,
    /// At most one acknowledgement per conversation in this many hours (default 24).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub every_hours: Option<u32>,
    /// Self-service links for after hours (help centre, order tracking…).
    pub links: Vec<String>,
    /// Own wording per language (`en`, `ko`…): `in_hours` may use `{minutes}`, `after_hours`
    /// `{hours}` and `{links}`. Built-in English and Korean otherwise.
    pub texts: BTreeMap<String, AckTexts>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AckTexts {
    pub in_hours: String,
    pub after_hours: String,
}

fn builtin(language: &str) -> AckTexts {
    match language {
        "ko" => AckTexts {
            in_hours: "문의해 주셔서 감사합니다. 보통 {minutes}분 안에 상담원이 답변드립니다.".into(),
            after_hours: "문의해 주셔서 감사합니다. 지금은 상담 시간이 아닙니다. 상담 시간: {hours}. 다음 영업시간에 바로 답변드리겠습니다.{links}".into(),
        },
        _ => AckTexts {
            in_hours: "Thanks for getting in touch! A person usually answers within {minutes} minutes.".into(),
            after_hours: "Thanks for getting in touch! We're closed right now; our hours are {hours}. We'll answer as soon as we're back.{links}".into(),
        },
    }
}

/// A customer message younger than this starts a conversation worth acknowledging; older ones
/// come from a first sync of history.
const FRESH_MS: i64 = 10 * 60 * 1000;

impl Store {
    /// Acknowledges the conversation if its account does that and it is due: queued in the
    /// outbox as the bot's message. `None` when nothing is owed or allowed.
    pub fn acknowledge(&mut self, conversation: i64, now: jiff::Timestamp) -> Result<Option<OutboxItem>> {
        let settings: Expectations = self.setting(EXPECTATIONS_SETTING)?;
        if settings.accounts.is_empty() {
            return Ok(None);
        }
        type Row = (String, bool, Option<i64>, Option<i64>, Option<i64>, Option<String>);
        let row: Option<Row> = self
            .conn
            .prepare_cached(
                "SELECT a.key, c.public, c.first_reply_at, c.waiting_since, c.acknowledged_at, ct.language
                 FROM conversations c JOIN accounts a ON a.id = c.account_id LEFT JOIN contacts ct ON ct.id = c.contact_id
                 WHERE c.id = ?1",
            )?
            .query_row([conversation], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .optional()?;
        let Some((account, public, first_reply, waiting, acknowledged, language)) = row else { return Ok(None) };
        let now_ms = to_ms(now);
        let period = i64::from(settings.every_hours.unwrap_or(24).max(1)) * 3_600_000;
        let due = settings.accounts.contains(&account)
            && !public
            && first_reply.is_none()
            && waiting.is_some_and(|w| now_ms - w <= FRESH_MS)
            && acknowledged.is_none_or(|a| now_ms - a >= period);
        if !due {
            return Ok(None);
        }
        let view = self.sla(conversation, now)?;
        let policies = self.sla_policies()?;
        let policy = view.policy.as_ref().and_then(|name| policies.iter().find(|p| &p.name == name));
        let calendar_record = match policy.and_then(|p| p.calendar.as_ref()) {
            Some(name) => self.calendars()?.into_iter().find(|c| &c.name == name),
            None => None,
        };
        let calendar = calendar_record.as_ref().and_then(|c| Calendar::from_record(c).ok());
        let open = calendar.as_ref().is_none_or(|c| c.between(now, now + jiff::SignedDuration::from_secs(1)) > jiff::SignedDuration::ZERO);
        let language = language.as_deref().and_then(|l| l.split(['-', '_']).next()).unwrap_or("en").to_lowercase();
        let texts = settings.texts.get(&language).cloned().unwrap_or_else(|| builtin(&language));
        let text = if open {
            let minutes = policy.and_then(|p| p.first_reply_minutes).map(i64::from).or(self.median_first_reply_minutes(now)?).unwrap_or(60);
            texts.in_hours.replace("{minutes}", &minutes.to_string())
        } else {
            let hours = calendar_record.as_ref().map(crate::templates::business_hours).unwrap_or_default();
            let links = if settings.links.is_empty() { String::new() } else { format!("\n{}", settings.links.join("\n")) };
            texts.after_hours.replace("{hours}", &hours).replace("{links}", &links)
        };
        // One key per conversation and period: a retry or a second look queues nothing new.
        let key = format!("ack:{conversation}:{}", now_ms / period);
        let item = match self.enqueue_automated(conversation, &text, &key) {
            Ok(item) => item,
            // The channel's rules (a closed window, a length) say no: then nothing is sent.
            Err(crate::Error::ReplyNotAllowed(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.conn.execute("UPDATE conversations SET acknowledged_at = ?2 WHERE id = ?1", params![conversation, now_ms])?;
        Ok(Some(item))
    }

    /// The median first-reply time of the last 30 days' conversations, in minutes.
    fn median_first_reply_minutes(&self, now: jiff::Timestamp) -> Result<Option<i64>> {
        let since = to_ms(now) - 30 * 86_400_000;
        let mut waits: Vec<i64> = self
            .conn
            .prepare_cached("SELECT first_reply_at - first_inbound_at FROM conversations WHERE first_reply_at IS NOT NULL AND first_inbound_at >= ?1")?
            .query_map([since], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if waits.is_empty() {
            return Ok(None);
        }
        waits.sort_unstable();
        Ok(Some((waits[waits.len() / 2] / 60_000).max(1)))
    }
}
