//! The record upserter: applies interchange records inside a transaction. Every record is an
//! upsert on its natural key that writes only what differs; what `guarded` runs is rolled back
//! whole when it fails (an import's bad line), leaving the rest of the transaction. Derived
//! conversation fields are refreshed once per batch for the conversations it touched.

use crate::error::{Error, Result};
use crate::interchange::*;
use crate::model::time::now_ms;
use crate::model::{AccountKey, AuthorKind, Channel, Direction};
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Applies records in one transaction, remembering what it touched for `finish`.
pub(crate) struct Upserter<'a> {
    pub(super) tx: &'a Transaction<'a>,
    /// New customer messages arrive now (a sync), rather than from a file: they count as
    /// unread and reopen a pending or solved conversation.
    pub(super) live: bool,
    /// With `live`: new customer messages per conversation, applied once per batch in `finish`.
    pub(super) new_from_customers: HashMap<i64, i64>,
    /// With `live`: every new customer message (conversation, time, id), for triage.
    pub(super) from_customers: Vec<(i64, i64, i64)>,
    /// Conversations whose status a record set after their last new customer message of the
    /// batch (an agent's change in the team's log): `finish` does not reopen them.
    pub(super) settled: HashSet<i64>,
    pub(super) accounts: HashMap<String, (i64, Channel)>,
    pub(super) conversations: HashMap<(i64, String), (i64, Option<i64>)>,
    pub(super) touched: HashSet<i64>,
    /// New messages and new or changed contacts (a contact may be named twice), indexed for
    /// search in `finish`. Lists, so that `guarded` forgets what it rolled back by their length.
    pub(super) unindexed_messages: Vec<i64>,
    pub(super) unindexed_contacts: Vec<i64>,
    /// Notes the store did not have (a teammate's, from the team's log), for mentions.
    pub(super) new_notes: Vec<i64>,
    /// With `apply_all`: the first customer of each (account, conversation) among the records'
    /// messages (not emails, whose thread is worked out), for `ensure_conversation`.
    pub(super) customers_ahead: HashMap<(String, String), Author>,
}

pub(super) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("records serialise")
}

impl<'a> Upserter<'a> {
    /// An upserter for records from a file: new customer messages are history, not news.
    pub(crate) fn from_file(tx: &'a Transaction<'a>) -> Self {
        Upserter {
            tx,
            live: false,
            new_from_customers: HashMap::new(),
            from_customers: Vec::new(),
            settled: HashSet::new(),
            accounts: HashMap::new(),
            conversations: HashMap::new(),
            touched: HashSet::new(),
            unindexed_messages: Vec::new(),
            unindexed_contacts: Vec::new(),
            new_notes: Vec::new(),
            customers_ahead: HashMap::new(),
        }
    }
    /// An upserter for records that arrive now (a sync, an agent's action): new customer
    /// messages count as unread and reopen their conversation.
    pub(crate) fn live(tx: &'a Transaction<'a>) -> Self {
        Upserter { live: true, ..Self::from_file(tx) }
    }
    /// Applies one record; returns whether the store changed.
    pub(crate) fn apply(&mut self, record: &Record) -> Result<bool> {
        let before = self.tx.total_changes();
        self.write(record)?;
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
            Record::Person(r) => self.person(r),
            Record::Assignment(r) => self.assignment(r),
            Record::ConversationChange(r) => self.conversation_change(r),
            Record::Reply(r) => self.reply(r),
            Record::AutoAssignment(r) => self.auto_assignment(r),
        }
    }
    /// Runs `f` under its own savepoint: whatever it wrote is kept whole, or rolled back whole
    /// when it fails, leaving the rest of the transaction.
    pub(crate) fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.tx.prepare_cached("SAVEPOINT guarded")?.execute([])?;
        let (messages, contacts, notes) = (self.unindexed_messages.len(), self.unindexed_contacts.len(), self.new_notes.len());
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
                self.unindexed_contacts.truncate(contacts);
                self.new_notes.truncate(notes);
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
            super::refresh::refresh(self.tx, *id, self.new_from_customers.get(id).copied().unwrap_or(0))?;
        }
        // The reopening in one statement: a statement that sets the status runs the status
        // triggers, and so keeps a statement journal (see `message`).
        let reopen: Vec<i64> = self.new_from_customers.keys().copied().filter(|id| !self.settled.contains(id)).collect();
        if !reopen.is_empty() {
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET status = 'open'
                     WHERE status IN ('pending', 'solved') AND id IN (SELECT value FROM json_each(?1))",
                )?
                .execute([serde_json::to_string(&reopen).expect("json")])?;
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
        crate::store::rules::apply(self.tx, &messages)?;
        // Last, so FTS5 joins the transaction only now (see migration 2).
        let mut contacts = self.unindexed_contacts;
        contacts.sort_unstable();
        contacts.dedup();
        super::index_contacts(self.tx, &contacts)?;
        super::index_messages(self.tx, &self.unindexed_messages)
    }
    pub(super) fn account(&mut self, key: &str) -> Result<(i64, Channel)> {
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
    pub(super) fn contact_id(&self, uid: &str) -> Result<i64> {
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
}

impl Upserter<'_> {
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
        let (messages_before, notes_before) = (self.unindexed_messages.len(), self.new_notes.len());
        let earlier = std::mem::take(&mut self.touched);
        let changed = self.apply_all(records);
        let touched = std::mem::replace(&mut self.touched, earlier);
        let changed = changed?;
        self.touched.extend(touched.iter().copied());
        // Records that changed nothing leave no conversation changed.
        let mut conversations: Vec<i64> = if changed > 0 { touched.into_iter().collect() } else { Vec::new() };
        conversations.sort_unstable();
        Ok(super::Written {
            changed,
            new_messages: self.unindexed_messages[messages_before..].to_vec(),
            conversations,
            new_notes: self.new_notes[notes_before..].to_vec(),
        })
    }
}
