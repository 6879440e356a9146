//! Who and where: customers (contacts and their handles), conversations, public threads, notes
//! and orders.

use super::upsert::{json, Upserter};
use crate::error::{Error, Result};
use crate::interchange::*;
use crate::model::time::{now_ms, to_ms};
use crate::model::Channel;
use crate::store::util::upsert_sql;
use rusqlite::{params, OptionalExtension};

impl Upserter<'_> {
    pub(super) fn contact(&mut self, r: &ContactRecord) -> Result<()> {
        if r.id.trim().is_empty() {
            return Err(Error::invalid("a customer id is empty"));
        }
        let created = r.created_at.map(to_ms).unwrap_or_else(now_ms);
        self.tx
            .prepare_cached(&upsert_sql(
                "contacts",
                &["uid"],
                &["name", "email", "phone", "language", "time_zone", "status", "notes"],
                &["created_at"],
            ))?
            .execute(params![r.id, r.name, r.email, r.phone, r.language, r.time_zone, r.status, r.notes, created])?;
        let id = self.contact_id(&r.id)?;
        self.unindexed_contacts.push(id);
        if let Some(at) = r.created_at {
            self.tx
                .prepare_cached("UPDATE contacts SET created_at = ?2 WHERE id = ?1 AND created_at IS NOT ?2")?
                .execute(params![id, to_ms(at)])?;
        }
        for identity in &r.identities {
            let (account, _) = self.account(&identity.account)?;
            self.tx
                .prepare_cached(&upsert_sql("identities", &["account_id", "handle"], &["contact_id", "display_name"], &[]))?
                .execute(params![account, identity.handle, id, identity.name])?;
        }
        self.set_tags("contact_tags", "contact_id", id, &r.tags)
    }
    /// The conversation `(account, external)`, created when new; returns (id, contact id). A new
    /// conversation begun by `customer` is created with that customer already linked; one begun
    /// by a message (`from_message`), with `at` as its latest message's time (see `refresh`).
    pub(super) fn ensure_conversation(
        &mut self,
        account: &str,
        external: &str,
        at: i64,
        from_message: bool,
        customer: Option<&Author>,
    ) -> Result<(i64, Option<i64>)> {
        if external.is_empty() {
            return Err(Error::invalid("a conversation id is empty"));
        }
        let (account_id, channel) = self.account(account)?;
        if let Some(found) = self.conversations.get(&(account_id, external.to_owned())) {
            return Ok(*found);
        }
        let existing: Option<(i64, Option<i64>)> = self
            .tx
            .prepare_cached("SELECT id, contact_id FROM conversations WHERE account_id = ?1 AND external_id = ?2")?
            .query_row(params![account_id, external], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let found = match existing {
            Some(found) => found,
            None => {
                // A conversation first seen through a reply (platforms list newest first) is
                // created with the customer a later message of the batch names, rather than
                // linked by an update of the new row: that update runs the SLA trigger, and a
                // statement with a trigger copies every page it touches to a statement journal.
                let ahead = match customer {
                    None if from_message => self.customers_ahead.get(&(account.to_owned(), external.to_owned())).cloned(),
                    _ => None,
                };
                let contact = match customer.or(ahead.as_ref()) {
                    Some(author) => self.customer_for(account, author)?,
                    None => None,
                };
                self.tx
                    .prepare_cached(
                        "INSERT INTO conversations (account_id, external_id, channel, contact_id, created_at, last_message_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![account_id, external, channel, contact, at, from_message.then_some(at)])?;
                (self.tx.last_insert_rowid(), contact)
            }
        };
        self.conversations.insert((account_id, external.to_owned()), found);
        Ok(found)
    }
    pub(super) fn conversation(&mut self, r: &ConversationRecord) -> Result<()> {
        let created = r.created_at.map(to_ms).unwrap_or_else(now_ms);
        let (id, existing_contact) = self.ensure_conversation(&r.account, &r.id, created, false, None)?;
        let contact = match &r.customer {
            Some(uid) => Some(self.contact_id(uid)?),
            None => existing_contact,
        };
        self.tx
            .prepare_cached(
                "UPDATE conversations SET contact_id = ?2, subject = ?3, status = ?4, priority = ?5, assignee = ?6,
                        public = ?7, unread = ?8
                 WHERE id = ?1 AND (contact_id, subject, status, priority, assignee, public, unread)
                       IS NOT (?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![id, contact, r.subject, r.status, r.priority, r.assignee, r.public, r.unread])?;
        let (account_id, _) = self.account(&r.account)?;
        self.conversations.insert((account_id, r.id.clone()), (id, contact));
        if let Some(at) = r.created_at {
            self.tx
                .prepare_cached("UPDATE conversations SET created_at = ?2 WHERE id = ?1 AND created_at IS NOT ?2")?
                .execute(params![id, to_ms(at)])?;
        }
        self.set_tags("conversation_tags", "conversation_id", id, &r.tags)
    }
    pub(super) fn public_thread(&mut self, r: &PublicThreadRecord) -> Result<()> {
        let (account_id, _) = self.account(&r.account)?;
        let at = r.post.as_ref().map(|p| to_ms(p.at)).unwrap_or_else(now_ms);
        let (conversation, _) = self.ensure_conversation(&r.account, &r.conversation, at, false, None)?;
        let post = match &r.post {
            Some(p) => {
                self.tx
                    .prepare_cached(&upsert_sql("posts", &["account_id", "external_id"], &["body", "author_name", "url", "posted_at"], &[]))?
                    .execute(params![account_id, p.id, p.text, p.author, p.url, to_ms(p.at)])?;
                Some(
                    self.tx
                        .prepare_cached("SELECT id FROM posts WHERE account_id = ?1 AND external_id = ?2")?
                        .query_row(params![account_id, p.id], |r| r.get::<_, i64>(0))?,
                )
            }
            None => None,
        };
        self.tx
            .prepare_cached(
                "UPDATE conversations SET public = 1, post_id = coalesce(?2, post_id)
                 WHERE id = ?1 AND (public, post_id) IS NOT (1, coalesce(?2, post_id))",
            )?
            .execute(params![conversation, post])?;
        let mut hide = self.tx.prepare_cached(
            "UPDATE messages SET hidden_at = ?3, hidden_reason = ?4
             WHERE account_id = ?1 AND external_id = ?2 AND hidden_at IS NULL",
        )?;
        for h in &r.hidden {
            hide.execute(params![account_id, h.message, h.at.map(to_ms).unwrap_or_else(now_ms), h.reason])?;
        }
        self.touched.insert(conversation);
        Ok(())
    }
    /// The contact behind a customer's handle on an account, created on first sight.
    pub(super) fn customer_for(&mut self, account: &str, author: &Author) -> Result<Option<i64>> {
        let Some(handle) = author.handle.as_deref().filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let (account_id, channel) = self.account(account)?;
        let found: Option<i64> = self
            .tx
            .prepare_cached("SELECT contact_id FROM identities WHERE account_id = ?1 AND handle = ?2")?
            .query_row(params![account_id, handle], |r| r.get(0))
            .optional()?;
        if let Some(id) = found {
            return Ok(Some(id));
        }
        // The same person's handle on another account of the platform that issues it: X's user
        // ids are global; a Page's Messenger and comments share its page-scoped ids, and its
        // Instagram inbox and comments the Instagram-scoped ones. A commenter is thus the
        // customer who writes in private.
        let peers: &[Channel] = match channel {
            Channel::X => &[Channel::X],
            Channel::Messenger | Channel::Facebook => &[Channel::Messenger, Channel::Facebook],
            Channel::Instagram => &[Channel::Instagram],
            _ => &[],
        };
        if !peers.is_empty() {
            let peer: Option<i64> = self
                .tx
                .prepare_cached(
                    "SELECT i.contact_id FROM accounts me CROSS JOIN accounts a CROSS JOIN identities i
                     WHERE me.id = ?1 AND i.account_id = a.id AND i.handle = ?2 AND a.id != me.id AND a.channel IN (SELECT value FROM json_each(?3))
                       AND (a.channel = 'x' OR json_extract(a.config, '$.page_id') IS json_extract(me.config, '$.page_id'))
                     ORDER BY i.id LIMIT 1",
                )?
                .query_row(params![account_id, handle, serde_json::to_string(&peers.iter().map(|c| c.as_str()).collect::<Vec<_>>()).expect("json")], |r| r.get(0))
                .optional()?;
            if let Some(id) = peer {
                self.tx
                    .prepare_cached("INSERT INTO identities (contact_id, account_id, handle, display_name) VALUES (?1, ?2, ?3, ?4)")?
                    .execute(params![id, account_id, handle, author.name])?;
                return Ok(Some(id));
            }
        }
        // An email address or a phone number is a verifiable key: a customer known by it on
        // another channel is the same person.
        let email = (channel == Channel::Email).then(|| handle.to_lowercase());
        let phone = matches!(channel, Channel::Sms | Channel::Whatsapp).then(|| crate::store::normalise_phone(handle)).flatten();
        let known: Option<i64> = match (&email, &phone) {
            (Some(address), _) => self
                .tx
                .prepare_cached("SELECT id FROM contacts WHERE lower(email) = ?1 AND merged_into IS NULL ORDER BY id LIMIT 1")?
                .query_row([address], |r| r.get(0))
                .optional()?,
            (None, Some(number)) => self
                .tx
                .prepare_cached("SELECT id FROM contacts WHERE phone = ?1 AND merged_into IS NULL ORDER BY id LIMIT 1")?
                .query_row([number], |r| r.get(0))
                .optional()?,
            (None, None) => None,
        };
        let id = match known {
            Some(id) => id,
            None => {
                let name = author
                    .name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| handle.to_owned());
                let uid = format!("ct_{}", uuid::Uuid::new_v4().simple());
                self.tx
                    .prepare_cached("INSERT INTO contacts (uid, name, email, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
                    .execute(params![uid, name, email, phone, now_ms()])?;
                let id = self.tx.last_insert_rowid();
                self.unindexed_contacts.push(id);
                id
            }
        };
        self.tx
            .prepare_cached("INSERT INTO identities (contact_id, account_id, handle, display_name) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![id, account_id, handle, author.name])?;
        Ok(Some(id))
    }
    pub(super) fn note(&mut self, r: &NoteRecord) -> Result<()> {
        if r.id.is_empty() {
            return Err(Error::invalid("a note id is empty"));
        }
        let at = to_ms(r.at);
        let (conversation, _) = self.ensure_conversation(&r.account, &r.conversation, at, false, None)?;
        let known = self.tx.prepare_cached("SELECT 1 FROM notes WHERE uid = ?1")?.exists([&r.id])?;
        self.tx
            .prepare_cached(&upsert_sql("notes", &["uid"], &["conversation_id", "author", "body", "created_at"], &[]))?
            .execute(params![r.id, conversation, r.author, r.text, at])?;
        if !known {
            let id: i64 = self.tx.prepare_cached("SELECT id FROM notes WHERE uid = ?1")?.query_row([&r.id], |row| row.get(0))?;
            self.new_notes.push(id);
        }
        Ok(())
    }
    pub(super) fn order(&mut self, r: &OrderRecord) -> Result<()> {
        let decimal = |s: &str| {
            let digits = s.strip_prefix('-').unwrap_or(s);
            !digits.is_empty()
                && digits.split('.').count() <= 2
                && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
                && !digits.starts_with('.')
                && !digits.ends_with('.')
        };
        if !decimal(&r.total) {
            return Err(Error::invalid(format!("order {}: total {:?} is not a decimal number", r.number, r.total)));
        }
        let contact = match &r.customer {
            Some(uid) => Some(self.contact_id(uid)?),
            None => None,
        };
        let cols = [
            "contact_id",
            "number",
            "placed_at",
            "currency",
            "total",
            "financial_status",
            "fulfillment_status",
            "items",
            "tracking",
        ];
        self.tx.prepare_cached(&upsert_sql("orders", &["shop", "external_id"], &cols, &[]))?.execute(params![
            r.shop,
            r.id,
            contact,
            r.number,
            to_ms(r.at),
            r.currency,
            r.total,
            r.financial_status,
            r.fulfillment_status,
            json(&r.items),
            json(&r.tracking)
        ])?;
        Ok(())
    }
}
