//! Writing interchange records into the store. Every record is an upsert on its natural key that
//! writes only what differs; a record that fails is rolled back to its own savepoint, so a bad
//! line never leaves half a record behind. Derived conversation fields are refreshed once per
//! batch for the conversations the batch touched.

use super::util::{now_ms, to_ms, upsert_sql};
use crate::error::{Error, Result};
use crate::interchange::*;
use crate::model::{AccountKey, AuthorKind, Channel, Direction};
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::{BTreeSet, HashMap, HashSet};

pub(crate) struct Writer<'a> {
    tx: &'a Transaction<'a>,
    /// Roll a failed record back on its own (imports); a batch that fails as a whole needs none.
    savepoints: bool,
    /// New customer messages arrive now (a sync), rather than from a file: they count as
    /// unread and reopen a pending or solved conversation.
    live: bool,
    /// With `live`: new customer messages per conversation, applied once per batch in `finish`.
    new_from_customers: HashMap<i64, i64>,
    /// With `live`: every new customer message (conversation, time, id), for triage.
    from_customers: Vec<(i64, i64, i64)>,
    accounts: HashMap<String, (i64, Channel)>,
    conversations: HashMap<(i64, String), (i64, Option<i64>)>,
    touched: HashSet<i64>,
    /// New messages and new or changed contacts, indexed for search in `finish`.
    unindexed_messages: Vec<i64>,
    unindexed_contacts: BTreeSet<i64>,
    /// With `apply_all`: the first customer of each (account, conversation) among the records'
    /// messages (not emails, whose thread is worked out), for `ensure_conversation`.
    customers_ahead: HashMap<(String, String), Author>,
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("records serialise")
}

impl<'a> Writer<'a> {
    /// A writer whose failed records are rolled back one by one, leaving the rest of the batch.
    pub(crate) fn per_record(tx: &'a Transaction<'a>) -> Self {
        Writer {
            tx,
            savepoints: true,
            live: false,
            new_from_customers: HashMap::new(),
            from_customers: Vec::new(),
            accounts: HashMap::new(),
            conversations: HashMap::new(),
            touched: HashSet::new(),
            unindexed_messages: Vec::new(),
            unindexed_contacts: BTreeSet::new(),
            customers_ahead: HashMap::new(),
        }
    }

    /// A writer for a batch that is stored whole or not at all.
    pub(crate) fn all_or_nothing(tx: &'a Transaction<'a>) -> Self {
        Writer { savepoints: false, live: true, ..Self::per_record(tx) }
    }

    /// Applies one record; returns whether the store changed.
    pub(crate) fn apply(&mut self, record: &Record) -> Result<bool> {
        let before = self.tx.total_changes();
        if self.savepoints {
            self.guarded(|w| w.write(record))?;
        } else {
            self.write(record)?;
        }
        Ok(self.tx.total_changes() != before)
    }

    fn write(&mut self, record: &Record) -> Result<()> {
        match record {
            Record::Account(r) => self.account_record(r),
            Record::Tag(r) => self.tag(r),
            Record::Calendar(r) => self.calendar(r),
            Record::SlaPolicy(r) => self.sla_policy(r),
            Record::Rule(r) => self.rule(r),
            Record::CannedReply(r) => self.canned_reply(r),
            Record::Contact(r) => self.contact(r),
            Record::Conversation(r) => self.conversation(r),
            Record::Message(r) => self.message(r).map(|_| ()),
            Record::PublicThread(r) => self.public_thread(r),
            Record::Note(r) => self.note(r),
            Record::Order(r) => self.order(r),
        }
    }

    /// Runs `f` under its own savepoint: whatever it wrote is kept whole, or rolled back whole
    /// when it fails, leaving the rest of the transaction.
    pub(crate) fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.tx.prepare_cached("SAVEPOINT guarded")?.execute([])?;
        let (messages, contacts) = (self.unindexed_messages.len(), self.unindexed_contacts.clone());
        match f(self) {
            Ok(value) => {
                self.tx.prepare_cached("RELEASE guarded")?.execute([])?;
                Ok(value)
            }
            Err(e) => {
                // The caches may name rows the rollback removed.
                self.accounts.clear();
                self.conversations.clear();
                self.unindexed_messages.truncate(messages);
                self.unindexed_contacts = contacts;
                // After a storage failure (disk full, I/O) SQLite has already rolled the whole
                // transaction back and the savepoint is gone: the original error is the one to tell.
                match self.tx.execute_batch("ROLLBACK TO guarded; RELEASE guarded") {
                    Err(rollback) if matches!(e, Error::Invalid(_) | Error::Missing { .. }) => Err(rollback.into()),
                    _ => Err(e),
                }
            }
        }
    }

    /// Refreshes the derived fields of every conversation this batch touched.
    pub(crate) fn finish(self) -> Result<()> {
        for id in &self.touched {
            refresh(self.tx, *id, self.new_from_customers.get(id).copied().unwrap_or(0))?;
        }
        // The reopening in one statement: a statement that sets the status runs the status
        // triggers, and so keeps a statement journal (see `message`).
        if !self.new_from_customers.is_empty() {
            let ids: Vec<i64> = self.new_from_customers.keys().copied().collect();
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET status = 'open'
                     WHERE status IN ('pending', 'solved') AND id IN (SELECT value FROM json_each(?1))",
                )?
                .execute([serde_json::to_string(&ids).expect("json")])?;
        }
        // A customer who posts sensitive data in public is flagged (only public conversations'
        // messages are looked at).
        if !self.unindexed_messages.is_empty() {
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET sensitive = 1 WHERE sensitive = 0 AND id IN (
                        SELECT m.conversation_id FROM json_each(?1) j JOIN messages m ON m.id = j.value
                        JOIN conversations c ON c.id = m.conversation_id
                        WHERE c.public = 1 AND m.direction = 'in' AND sb_sensitive(m.body))",
                )?
                .execute([serde_json::to_string(&self.unindexed_messages).expect("json")])?;
        }
        // Triage rules, on each new customer message, each conversation's in the order they were
        // written: a batch of several (an initial sync, a reconnect) ends as the same messages one
        // at a time would. After the refresh above, so a rule that solves a conversation is not
        // undone by the reopening.
        let mut from_customers = self.from_customers;
        from_customers.sort_unstable();
        let messages: Vec<(i64, i64)> = from_customers.into_iter().map(|(c, _, m)| (c, m)).collect();
        super::rules::apply(self.tx, &messages)?;
        // Last, so FTS5 joins the transaction only now (see migration 2).
        super::index_contacts(self.tx, &self.unindexed_contacts.into_iter().collect::<Vec<_>>())?;
        super::index_messages(self.tx, &self.unindexed_messages)
    }

    fn account(&mut self, key: &str) -> Result<(i64, Channel)> {
        if let Some(found) = self.accounts.get(key) {
            return Ok(*found);
        }
        let parsed = AccountKey::parse(key)?;
        let canonical = parsed.to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO accounts (key, channel, name, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO NOTHING",
            )?
            .execute(params![canonical, parsed.channel, parsed.handle, now_ms()])?;
        let id: i64 =
            self.tx.prepare_cached("SELECT id FROM accounts WHERE key = ?1")?.query_row([&canonical], |r| r.get(0))?;
        self.accounts.insert(key.to_owned(), (id, parsed.channel));
        Ok((id, parsed.channel))
    }

    fn account_record(&mut self, r: &AccountRecord) -> Result<()> {
        let (id, _) = self.account(&r.account)?;
        let name = match &r.name {
            Some(n) => n.clone(),
            None => AccountKey::parse(&r.account)?.handle,
        };
        self.tx
            .prepare_cached(
                "UPDATE accounts SET name = ?2, config = ?3 WHERE id = ?1 AND (name, config) IS NOT (?2, ?3)",
            )?
            .execute(params![id, name, json(&r.config)])?;
        Ok(())
    }

    fn contact_id(&self, uid: &str) -> Result<i64> {
        self.tx
            .prepare_cached("SELECT id FROM contacts WHERE uid = ?1")?
            .query_row([uid], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::Missing { what: "customer", id: uid.to_owned() })
    }

    fn tag_ids(&self, names: &[String]) -> Result<BTreeSet<i64>> {
        let mut ids = BTreeSet::new();
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                return Err(Error::invalid("a tag name is empty"));
            }
            self.tx.prepare_cached("INSERT INTO tags (name) VALUES (?1) ON CONFLICT (name) DO NOTHING")?.execute([name])?;
            ids.insert(self.tx.prepare_cached("SELECT id FROM tags WHERE name = ?1")?.query_row([name], |r| r.get(0))?);
        }
        Ok(ids)
    }

    /// Makes the tags of `owner` exactly `names`, writing only when they differ.
    pub(crate) fn set_tags(&self, table: &str, owner_col: &str, owner: i64, names: &[String]) -> Result<()> {
        let wanted = self.tag_ids(names)?;
        let current: BTreeSet<i64> = self
            .tx
            .prepare_cached(&format!("SELECT tag_id FROM {table} WHERE {owner_col} = ?1"))?
            .query_map([owner], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if current != wanted {
            self.tx.execute(&format!("DELETE FROM {table} WHERE {owner_col} = ?1"), [owner])?;
            let mut insert = self.tx.prepare_cached(&format!("INSERT INTO {table} ({owner_col}, tag_id) VALUES (?1, ?2)"))?;
            for tag in wanted {
                insert.execute(params![owner, tag])?;
            }
        }
        Ok(())
    }

    fn tag(&mut self, r: &TagRecord) -> Result<()> {
        if r.name.trim().is_empty() {
            return Err(Error::invalid("a tag name is empty"));
        }
        self.tx
            .prepare_cached(&upsert_sql("tags", &["name"], &["color"], &[]))?
            .execute(params![r.name.trim(), r.color])?;
        Ok(())
    }

    fn calendar(&mut self, r: &CalendarRecord) -> Result<()> {
        jiff::tz::TimeZone::get(&r.time_zone)
            .map_err(|_| Error::invalid(format!("unknown time zone {:?}", r.time_zone)))?;
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        for (day, ranges) in &r.hours {
            if !DAYS.contains(&day.as_str()) {
                return Err(Error::invalid(format!("unknown weekday {day:?}; use mon, tue, … sun")));
            }
            for [start, end] in ranges {
                let parse = |t: &str| {
                    t.parse::<jiff::civil::Time>()
                        .map_err(|_| Error::invalid(format!("{day}: {t:?} is not a time like 09:00")))
                };
                if parse(start)? >= parse(end)? {
                    return Err(Error::invalid(format!("{day}: opening {start} is not before closing {end}")));
                }
            }
        }
        self.tx
            .prepare_cached(&upsert_sql("business_calendars", &["name"], &["time_zone", "hours", "holidays"], &[]))?
            .execute(params![r.name, r.time_zone, json(&r.hours), json(&r.holidays)])?;
        Ok(())
    }

    fn sla_policy(&mut self, r: &SlaPolicyRecord) -> Result<()> {
        let calendar: Option<i64> = match &r.calendar {
            None => None,
            Some(name) => Some(
                self.tx
                    .prepare_cached("SELECT id FROM business_calendars WHERE name = ?1")?
                    .query_row([name], |row| row.get(0))
                    .optional()?
                    .ok_or_else(|| Error::Missing { what: "calendar", id: name.clone() })?,
            ),
        };
        let cols = [
            "priority",
            "channel",
            "first_reply_minutes",
            "next_reply_minutes",
            "resolution_minutes",
            "calendar_id",
            "tags",
            "customer_statuses",
        ];
        self.tx.prepare_cached(&upsert_sql("sla_policies", &["name"], &cols, &[]))?.execute(params![
            r.name,
            r.priority,
            r.channel,
            r.first_reply_minutes,
            r.next_reply_minutes,
            r.resolution_minutes,
            calendar,
            json(&r.tags),
            json(&r.customer_statuses)
        ])?;
        Ok(())
    }

    fn rule(&mut self, r: &RuleRecord) -> Result<()> {
        crate::rules::check(r)?;
        self.tx
            .prepare_cached(&upsert_sql("rules", &["name"], &["position", "enabled", "conditions", "actions"], &[]))?
            .execute(params![r.name, r.position, r.enabled, json(&r.conditions), json(&r.actions)])?;
        Ok(())
    }

    fn canned_reply(&mut self, r: &CannedReplyRecord) -> Result<()> {
        if r.shortcut.is_empty() || r.shortcut.chars().any(char::is_whitespace) {
            return Err(Error::invalid(format!("canned reply shortcut {:?} must be one word", r.shortcut)));
        }
        if r.variants.is_empty() {
            return Err(Error::invalid(format!("canned reply {:?} has no text", r.shortcut)));
        }
        self.tx
            .prepare_cached(&upsert_sql("canned_replies", &["shortcut"], &["title", "actions"], &[]))?
            .execute(params![r.shortcut, r.title, json(&r.actions)])?;
        let id: i64 = self
            .tx
            .prepare_cached("SELECT id FROM canned_replies WHERE shortcut = ?1")?
            .query_row([&r.shortcut], |row| row.get(0))?;
        let mut wanted: Vec<(String, String, String)> = r
            .variants
            .iter()
            .map(|v| {
                (
                    v.language.clone().unwrap_or_default(),
                    v.channel.map(|c| c.as_str().to_owned()).unwrap_or_default(),
                    v.body.clone(),
                )
            })
            .collect();
        wanted.sort();
        if wanted.windows(2).any(|w| (&w[0].0, &w[0].1) == (&w[1].0, &w[1].1)) {
            return Err(Error::invalid(format!("canned reply {:?} has two variants for one language and channel", r.shortcut)));
        }
        let current: Vec<(String, String, String)> = self
            .tx
            .prepare_cached(
                "SELECT language, channel, body FROM canned_reply_variants WHERE reply_id = ?1 ORDER BY language, channel, body",
            )?
            .query_map([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if current != wanted {
            self.tx.execute("DELETE FROM canned_reply_variants WHERE reply_id = ?1", [id])?;
            let mut insert = self.tx.prepare_cached(
                "INSERT INTO canned_reply_variants (reply_id, language, channel, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (language, channel, body) in wanted {
                insert.execute(params![id, language, channel, body])?;
            }
        }
        Ok(())
    }

    fn contact(&mut self, r: &ContactRecord) -> Result<()> {
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
        self.unindexed_contacts.insert(id);
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
    fn ensure_conversation(
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

    fn conversation(&mut self, r: &ConversationRecord) -> Result<()> {
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

    fn public_thread(&mut self, r: &PublicThreadRecord) -> Result<()> {
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
    fn customer_for(&mut self, account: &str, author: &Author) -> Result<Option<i64>> {
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
        let phone = matches!(channel, Channel::Sms | Channel::Whatsapp).then(|| super::normalise_phone(handle)).flatten();
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
                self.unindexed_contacts.insert(id);
                id
            }
        };
        self.tx
            .prepare_cached("INSERT INTO identities (contact_id, account_id, handle, display_name) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![id, account_id, handle, author.name])?;
        Ok(Some(id))
    }

    pub(crate) fn message(&mut self, m: &MessageRecord) -> Result<i64> {
        if m.id.is_empty() {
            return Err(Error::invalid("a message id is empty"));
        }
        let at = to_ms(m.at);
        let (account_id, _) = self.account(&m.account)?;
        let thread = match &m.email {
            Some(email) => self.email_thread(account_id, m, email)?,
            None => m.conversation.clone(),
        };
        let from_customer = m.author.kind == AuthorKind::Customer && m.direction == Direction::In;
        let (conversation, contact) =
            self.ensure_conversation(&m.account, &thread, at, true, from_customer.then_some(&m.author))?;
        if from_customer && contact.is_none() {
            if let Some(customer) = self.customer_for(&m.account, &m.author)? {
                self.tx
                    .prepare_cached("UPDATE conversations SET contact_id = ?2 WHERE id = ?1 AND contact_id IS NULL")?
                    .execute(params![conversation, customer])?;
                self.conversations
                    .insert((account_id, thread.clone()), (conversation, Some(customer)));
            }
        }
        let delivery = m.delivery();
        // Inserted first and looked up only when already there: a sync's messages are mostly new.
        // Not `RETURNING id`: SQLite runs RETURNING as a trigger, and a statement with a trigger
        // keeps a statement journal, copying every page it touches (a tenth of a sync's writing).
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO messages (conversation_id, account_id, external_id, direction, author_kind,
                                       author_name, author_handle, body, sent_at, delivery)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (account_id, external_id) DO NOTHING",
            )?
            .execute(params![
                conversation,
                account_id,
                m.id,
                m.direction,
                m.author.kind,
                m.author.name,
                m.author.handle,
                m.text,
                at,
                delivery
            ])?
            == 1;
        let id = if inserted {
            let id = self.tx.last_insert_rowid();
            self.unindexed_messages.push(id);
            self.insert_attachments(id, &m.attachments)?;
            if self.live && from_customer {
                *self.new_from_customers.entry(conversation).or_default() += 1;
                self.from_customers.push((conversation, at, id));
            }
            id
        } else {
            let (id, stored_kind): (i64, AuthorKind) = self
                .tx
                .prepare_cached("SELECT id, author_kind FROM messages WHERE account_id = ?1 AND external_id = ?2")?
                .query_row(params![account_id, m.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            // Our automated replies (acknowledgements) come back from the platform as the
            // business's messages: they stay the bot's, so they never count as an agent's answer.
            let kind = match stored_kind {
                AuthorKind::Bot if m.author.kind == AuthorKind::Agent => AuthorKind::Bot,
                _ => m.author.kind,
            };
            self.tx
                .prepare_cached(
                    "UPDATE messages SET direction = ?2, author_kind = ?3, author_name = ?4, author_handle = ?5,
                            body = ?6, sent_at = ?7, delivery = ?8
                     WHERE id = ?1 AND (direction, author_kind, author_name, author_handle, body, sent_at, delivery)
                           IS NOT (?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![id, m.direction, kind, m.author.name, m.author.handle, m.text, at, delivery])?;
            let current = super::read::attachments(self.tx, id)?;
            if current != m.attachments {
                self.tx.execute("DELETE FROM attachments WHERE message_id = ?1", [id])?;
                self.insert_attachments(id, &m.attachments)?;
            }
            id
        };
        if let Some(email) = &m.email {
            self.email_part(id, conversation, email)?;
        }
        self.touched.insert(conversation);
        Ok(id)
    }

    /// The conversation an email belongs to, by its external id: the one it is already in;
    /// else the one holding a message it names in References (newest first), then In-Reply-To;
    /// else the sender's conversation with the same normalised subject; else a new one, `m.conversation`.
    fn email_thread(
        &mut self,
        account_id: i64,
        m: &MessageRecord,
        email: &EmailRecord,
    ) -> Result<String> {
        let existing: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT c.external_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.account_id = ?1 AND m.external_id = ?2",
            )?
            .query_row(params![account_id, m.id], |r| r.get(0))
            .optional()?;
        if let Some(found) = existing {
            return Ok(found);
        }
        // Our own replies are known by the Message-ID they were sent with (their external id).
        let mut by_id = self.tx.prepare_cached(
            "SELECT c.external_id FROM email_messages e JOIN messages m ON m.id = e.message_id
               JOIN conversations c ON c.id = m.conversation_id
             WHERE e.header_id = ?2 AND m.account_id = ?1
             UNION ALL
             SELECT c.external_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.account_id = ?1 AND m.external_id = ?2 AND m.direction = 'out'
             LIMIT 1",
        )?;
        for id in email.references.iter().rev().chain(&email.in_reply_to) {
            let key = crate::email::id_key(id);
            if key.is_empty() {
                continue;
            }
            if let Some(found) = by_id
                .query_row(params![account_id, key], |r| r.get::<_, String>(0))
                .optional()?
            {
                return Ok(found);
            }
        }
        let subject = crate::email::subject_key(email.subject.as_deref().unwrap_or_default());
        let handle = m
            .author
            .handle
            .as_deref()
            .filter(|_| m.direction == Direction::In && !subject.is_empty());
        if let Some(handle) = handle {
            let found: Option<String> = self
                .tx
                .prepare_cached(
                    "SELECT c.external_id FROM identities i
                       JOIN conversations c ON c.contact_id = i.contact_id AND c.account_id = i.account_id
                       JOIN messages m ON m.conversation_id = c.id
                       JOIN email_messages e ON e.message_id = m.id
                     WHERE i.account_id = ?1 AND i.handle = ?2 AND e.subject_key = ?3
                     ORDER BY m.sent_at DESC LIMIT 1",
                )?
                .query_row(params![account_id, handle, subject], |r| r.get(0))
                .optional()?;
            if let Some(found) = found {
                return Ok(found);
            }
        }
        Ok(m.conversation.clone())
    }

    /// Stores an email's own part. Its HTML is sanitised here whatever its source (a sync or an
    /// imported file), so nothing unsanitised is ever stored for the UI.
    fn email_part(&mut self, message: i64, conversation: i64, email: &EmailRecord) -> Result<()> {
        use base64::Engine as _;
        let raw = match &email.raw {
            Some(b64) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|_| Error::invalid("an email's raw message is not valid base64"))?,
            ),
            None => None,
        };
        let (html, blocked) = match &email.html {
            Some(h) => {
                let (clean, blocked) = crate::email::sanitise_html(h);
                (Some(clean), blocked > 0)
            }
            None => (None, false),
        };
        let subject_key = email.subject.as_deref().map(crate::email::subject_key);
        self.tx
            .prepare_cached(&upsert_sql(
                "email_messages",
                &["message_id"],
                &[
                    "header_id",
                    "in_reply_to",
                    "refs",
                    "subject",
                    "subject_key",
                    "html",
                    "remote_images_blocked",
                    "folds",
                    "warning",
                    "raw",
                ],
                &[],
            ))?
            .execute(params![
                message,
                email.message_id.as_deref().map(crate::email::id_key),
                json(&email.in_reply_to),
                json(&email.references),
                email.subject,
                subject_key,
                html,
                email.remote_images_blocked || blocked,
                json(&email.folds),
                email.warning,
                raw
            ])?;
        if let Some(subject) = &email.subject {
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET subject = ?2 WHERE id = ?1 AND subject IS NULL",
                )?
                .execute(params![conversation, subject])?;
        }
        Ok(())
    }

    fn insert_attachments(&self, message: i64, attachments: &[AttachmentRecord]) -> Result<()> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO attachments (message_id, position, kind, name, mime, url, size, file_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (position, a) in attachments.iter().enumerate() {
            insert.execute(params![message, position as i64, a.kind, a.name, a.mime, a.url, a.size, a.file_id])?;
        }
        Ok(())
    }

    fn note(&mut self, r: &NoteRecord) -> Result<()> {
        if r.id.is_empty() {
            return Err(Error::invalid("a note id is empty"));
        }
        let at = to_ms(r.at);
        let (conversation, _) = self.ensure_conversation(&r.account, &r.conversation, at, false, None)?;
        self.tx
            .prepare_cached(&upsert_sql("notes", &["uid"], &["conversation_id", "author", "body", "created_at"], &[]))?
            .execute(params![r.id, conversation, r.author, r.text, at])?;
        Ok(())
    }

    fn order(&mut self, r: &OrderRecord) -> Result<()> {
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

/// Writes `records` in `tx`, all or nothing, and returns how many changed the store.
pub(crate) fn all_or_nothing(tx: &Transaction<'_>, records: &[Record]) -> Result<usize> {
    let mut writer = Writer::all_or_nothing(tx);
    let changed = writer.apply_all(records)?;
    writer.finish()?;
    Ok(changed)
}

impl Writer<'_> {
    /// Applies every record (a failure ends the batch); returns how many changed the store.
    pub(crate) fn apply_all(&mut self, records: &[Record]) -> Result<usize> {
        self.customers_ahead.clear();
        for record in records {
            if let Record::Message(m) = record {
                if m.email.is_none() && m.author.kind == AuthorKind::Customer && m.direction == Direction::In {
                    self.customers_ahead.entry((m.account.clone(), m.conversation.clone())).or_insert_with(|| m.author.clone());
                }
            }
        }
        let mut changed = 0;
        for record in records {
            changed += self.apply(record)? as usize;
        }
        Ok(changed)
    }

    /// `apply_all`, telling also which messages are new and which conversations changed.
    pub(crate) fn apply_noting(&mut self, records: &[Record]) -> Result<super::Written> {
        let messages_before = self.unindexed_messages.len();
        let earlier = std::mem::take(&mut self.touched);
        let changed = self.apply_all(records);
        let touched = std::mem::replace(&mut self.touched, earlier);
        let changed = changed?;
        self.touched.extend(touched.iter().copied());
        // Records that changed nothing leave no conversation changed.
        let mut conversations: Vec<i64> = if changed > 0 { touched.into_iter().collect() } else { Vec::new() };
        conversations.sort_unstable();
        Ok(super::Written { changed, new_messages: self.unindexed_messages[messages_before..].to_vec(), conversations })
    }
}

/// Recomputes a conversation's latest message, last customer message and how long the customer
/// has waited (since their first message after the last agent reply that actually went out).
pub(crate) fn refresh_conversation(tx: &Transaction<'_>, id: i64) -> Result<()> {
    refresh(tx, id, 0)
}

/// A message as the refresh sees it: when, and whether it is the customer's, inbound at all, or
/// an agent's answer that went out.
struct MessageFacts {
    id: i64,
    at: i64,
    from_customer: bool,
    inbound: bool,
    answer: bool,
}

/// What a conversation's messages make of it.
#[derive(Debug, Default, PartialEq)]
struct Derived {
    last_id: Option<i64>,
    last_at: Option<i64>,
    inbound_at: Option<i64>,
    /// The customer's first message after the last answer that went out.
    waiting: Option<i64>,
    first_in: Option<i64>,
    /// The first answer at or after the customer's first message.
    first_reply: Option<i64>,
}

fn derive(rows: &[MessageFacts]) -> Derived {
    let latest = |keep: fn(&MessageFacts) -> bool| rows.iter().filter(|r| keep(r)).map(|r| r.at).max();
    let last = rows.iter().max_by_key(|r| (r.at, r.id));
    let last_answer = latest(|r| r.answer);
    let first_in = rows.iter().filter(|r| r.from_customer).map(|r| r.at).min();
    Derived {
        last_id: last.map(|r| r.id),
        last_at: last.map(|r| r.at),
        inbound_at: latest(|r| r.inbound),
        waiting: rows.iter().filter(|r| r.from_customer && last_answer.is_none_or(|a| r.at > a)).map(|r| r.at).min(),
        first_in,
        first_reply: first_in.and_then(|f| rows.iter().filter(|r| r.answer && r.at >= f).map(|r| r.at).min()),
    }
}

/// `refresh_conversation`, also counting `unread` new customer messages.
fn refresh(tx: &Transaction<'_>, id: i64, unread: i64) -> Result<()> {
    // The conversation's messages read once (by the thread index) and worked out here: as SQL,
    // each of the six figures scanned them again.
    let mut messages = tx.prepare_cached(
        "SELECT id, sent_at, direction = 'in' AND author_kind = 'customer', direction = 'in',
                direction = 'out' AND author_kind = 'agent' AND delivery NOT IN ('queued', 'failed')
         FROM messages WHERE conversation_id = ?1",
    )?;
    let rows: Vec<MessageFacts> = messages
        .query_map([id], |r| Ok(MessageFacts { id: r.get(0)?, at: r.get(1)?, from_customer: r.get(2)?, inbound: r.get(3)?, answer: r.get(4)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let Derived { last_id, last_at, inbound_at, waiting, first_in, first_reply } = derive(&rows);
    // Three writes, each only when what it sets differs: SQLite rewrites an index whenever an
    // UPDATE names one of its columns, whatever the values. The latest message's time is in the
    // five inbox indexes, and a new conversation already has it when its first message seen is
    // its newest (platforms list newest first); the waiting times are in the clock and board
    // indexes, which a customer's follow-up leaves alone; the rest is in no index.
    tx.prepare_cached("UPDATE conversations SET last_message_at = ?2 WHERE id = ?1 AND last_message_at IS NOT ?2")?
        .execute(params![id, last_at])?;
    // What the clocks start from moved: the kept breach instants are stale (schema 16).
    tx.prepare_cached(
        "UPDATE conversations SET waiting_since = ?2, first_inbound_at = ?3, first_reply_at = ?4, sla_fresh = 0
         WHERE id = ?1 AND (waiting_since, first_inbound_at, first_reply_at) IS NOT (?2, ?3, ?4)",
    )?
    .execute(params![id, waiting, first_in, first_reply])?;
    tx.prepare_cached(
        "UPDATE conversations SET last_message_id = ?2, last_inbound_at = ?3, unread = unread + ?4
         WHERE id = ?1 AND (?4 != 0 OR (last_message_id, last_inbound_at) IS NOT (?2, ?3))",
    )?
    .execute(params![id, last_id, inbound_at, unread])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: i64, at: i64) -> MessageFacts {
        MessageFacts { id, at, from_customer: true, inbound: true, answer: false }
    }

    fn answer(id: i64, at: i64) -> MessageFacts {
        MessageFacts { id, at, from_customer: false, inbound: false, answer: true }
    }

    #[test]
    fn the_clocks_start_from_the_customers_first_message_after_the_last_answer() {
        assert_eq!(derive(&[]), Derived::default());
        // Customer at 10 and 20, answered at 30, then writes at 40 and 50; a bot's message
        // (inbound, not the customer's) at 60, and a reply still queued (no answer) at 70.
        let bot = MessageFacts { id: 6, at: 60, from_customer: false, inbound: true, answer: false };
        let queued = MessageFacts { id: 7, at: 70, from_customer: false, inbound: false, answer: false };
        let rows = [customer(2, 20), customer(1, 10), answer(3, 30), customer(5, 50), customer(4, 40), bot, queued];
        assert_eq!(
            derive(&rows),
            Derived {
                last_id: Some(7),
                last_at: Some(70),
                inbound_at: Some(60),
                waiting: Some(40),
                first_in: Some(10),
                first_reply: Some(30),
            }
        );
        // Two messages at one instant: the later id is the latest. An answer before the
        // customer's first message is no first reply.
        let rows = [answer(1, 5), customer(2, 10), customer(3, 10)];
        let d = derive(&rows);
        assert_eq!((d.last_id, d.waiting, d.first_reply), (Some(3), Some(10), None));
    }
}
