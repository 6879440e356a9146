//! The canned-reply library and the agent's signature: editing, rendering for a conversation.

use super::rows::parse_stored;
use super::Store;
use crate::error::{Error, Result};
use crate::interchange::{CannedReplyRecord, CannedVariant};
use crate::model::{Channel, ContactView};
use crate::templates::{
    business_hours, choose_variant, first_name, initials, order_status, placeholders, render, CannedRender, SignatureMode,
    SignatureSettings, PLACEHOLDERS, SIGNATURE_SETTING,
};
use std::collections::BTreeMap;

impl Store {
    /// Adds or replaces a canned reply, as an agent edits the library: checked like an imported
    /// one, and every placeholder must be one Switchboard knows.
    pub fn save_canned_reply(&mut self, reply: &CannedReplyRecord) -> Result<()> {
        if reply.title.trim().is_empty() {
            return Err(Error::invalid("a canned reply needs a title"));
        }
        for variant in &reply.variants {
            if variant.body.trim().is_empty() {
                return Err(Error::invalid(format!("canned reply {:?} has an empty variant", reply.shortcut)));
            }
            if let Some((_, name)) = placeholders(&variant.body).into_iter().find(|(_, name)| !PLACEHOLDERS.contains(name)) {
                return Err(Error::invalid(format!("{{{{{name}}}}} is not a placeholder; use one of {}", PLACEHOLDERS.join(", "))));
            }
        }
        self.write_batch(&[crate::interchange::Record::CannedReply(reply.clone())])?;
        Ok(())
    }

    pub fn delete_canned_reply(&mut self, shortcut: &str) -> Result<()> {
        let deleted = self.conn.execute("DELETE FROM canned_replies WHERE shortcut = ?1", [shortcut])?;
        if deleted == 0 {
            return Err(Error::Missing { what: "canned reply", id: shortcut.to_owned() });
        }
        Ok(())
    }

    fn values(&self, contact: Option<&ContactView>, agent: &str) -> Result<BTreeMap<&'static str, Option<String>>> {
        let order = match contact {
            Some(c) => self.orders(c.id)?.into_iter().next(),
            None => None,
        };
        let hours = self.calendars()?.first().map(business_hours);
        let agent = agent.trim();
        Ok(BTreeMap::from([
            ("customer.first_name", contact.and_then(|c| first_name(&c.name))),
            ("customer.name", contact.map(|c| c.name.clone())),
            ("order.number", order.as_ref().map(|o| o.number.clone())),
            ("order.status", order.as_ref().and_then(order_status)),
            ("order.tracking_url", order.as_ref().and_then(|o| o.tracking.iter().find_map(|t| t.url.clone()))),
            ("agent.name", Some(agent.to_owned()).filter(|a| !a.is_empty())),
            ("agent.initials", Some(initials(agent)).filter(|a| !a.is_empty())),
            ("business.hours", hours),
        ]))
    }

    /// The canned reply `shortcut` made ready for a conversation: the variant for its customer
    /// and channel, with placeholders filled.
    pub fn render_canned(&self, shortcut: &str, conversation: i64, agent: &str) -> Result<CannedRender> {
        let reply = self
            .canned_replies()?
            .into_iter()
            .find(|r| r.shortcut == shortcut)
            .ok_or_else(|| Error::Missing { what: "canned reply", id: shortcut.to_owned() })?;
        let thread = self.thread(conversation, 1)?;
        let contact = thread.contact.as_ref();
        let variant = choose_variant(&reply.variants, contact.and_then(|c| c.language.as_deref()), thread.conversation.channel)
            .ok_or_else(|| Error::invalid(format!("canned reply {shortcut:?} has no text")))?;
        let (text, unfilled) = render(&variant.body, &self.values(contact, agent)?);
        Ok(CannedRender {
            shortcut: reply.shortcut,
            title: reply.title,
            text,
            language: variant.language.clone(),
            channel: variant.channel,
            unfilled,
            actions: reply.actions,
        })
    }

    /// What is added to a reply on `channel` by `agent` (nothing, initials, or the signature).
    pub fn signature(&self, channel: Channel, agent: &str) -> Result<Option<String>> {
        let settings: SignatureSettings = self.setting(SIGNATURE_SETTING)?;
        let values = self.values(None, agent)?;
        Ok(match settings.channels.get(&channel).copied().unwrap_or(SignatureMode::None) {
            SignatureMode::None => None,
            SignatureMode::Initials => values["agent.initials"].as_ref().map(|i| format!(" –{i}")),
            SignatureMode::Full => {
                let (text, unfilled) = render(settings.text.trim(), &values);
                (unfilled.is_empty() && !text.is_empty()).then(|| format!("\n\n{text}"))
            }
        })
    }

    /// The canned-reply library, by shortcut.
    pub fn canned_replies(&self) -> Result<Vec<CannedReplyRecord>> {
        let mut replies = Vec::new();
        let mut stmt = self.conn.prepare_cached("SELECT id, shortcut, title, actions FROM canned_replies ORDER BY shortcut")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let actions: String = r.get(3)?;
            let variants = self
                .conn
                .prepare_cached(
                    "SELECT language, channel, body FROM canned_reply_variants WHERE reply_id = ?1 ORDER BY language, channel",
                )?
                .query_map([id], |v| {
                    let language: String = v.get(0)?;
                    let channel: String = v.get(1)?;
                    Ok((language, channel, v.get::<_, String>(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(|(language, channel, body)| {
                    Ok(CannedVariant {
                        language: Some(language).filter(|l| !l.is_empty()),
                        channel: if channel.is_empty() { None } else { Some(channel.parse()?) },
                        body,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            replies.push(CannedReplyRecord {
                shortcut: r.get(1)?,
                title: r.get(2)?,
                variants,
                actions: parse_stored(&actions)?,
            });
        }
        Ok(replies)
    }
}
