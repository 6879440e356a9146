//! Export of the interchange format (JSON Lines; see `crate::interchange`) and readable
//! transcripts. Import is the ingest path's (`ingest::import`).

use super::rows::{attachments, email_record, parse_stored};
use super::Store;
use crate::error::{Error, Result};
use crate::interchange::*;
use crate::model::time::from_ms;
use crate::model::{printable, AuthorKind, Thread};
use std::io::Write;

impl Store {
    /// Writes records as JSON Lines, in an order that imports cleanly (accounts, the team,
    /// settings, then contacts, conversations, messages, notes, orders).
    pub fn export_jsonl(&self, scope: ExportScope, out: &mut dyn Write) -> Result<usize> {
        let mut count = 0;
        self.export_records(scope, &mut |record| {
            serde_json::to_writer(&mut *out, &record).map_err(|e| Error::Io(e.into()))?;
            out.write_all(b"\n")?;
            count += 1;
            Ok(())
        })?;
        out.flush()?;
        Ok(count)
    }
}

impl Store {
    /// The team's people (team mode), by id.
    fn export_team(&self, emit: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare("SELECT id, name, role, removed FROM team_people ORDER BY id")?;
        let people = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, bool>(3)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (id, name, role, removed) in people {
            emit(Record::Person(PersonRecord { id, name, role: role.parse()?, removed }))?;
        }
        Ok(())
    }

    /// Streams every record in `scope` to `emit`, in an order that imports cleanly.
    pub fn export_records(&self, scope: ExportScope, emit: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        if scope == ExportScope::CannedReplies {
            return self.canned_replies()?.into_iter().try_for_each(|r| emit(Record::CannedReply(r)));
        }
        let conversations: Vec<(i64, String, String, Option<i64>)> = {
            let (filter, id) = match scope {
                ExportScope::All | ExportScope::CannedReplies => ("1", 0),
                ExportScope::Conversation(id) => ("c.id = ?1", id),
            };
            let sql = format!(
                "SELECT c.id, a.key, c.external_id, c.contact_id FROM conversations c JOIN accounts a ON a.id = c.account_id
                 WHERE {filter} ORDER BY a.key, c.external_id"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = if filter == "1" {
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?
            } else {
                stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?
            };
            rows
        };
        if let ExportScope::Conversation(id) = scope {
            if conversations.is_empty() {
                return Err(Error::Missing { what: "conversation", id: id.to_string() });
            }
        }
        let whole = scope == ExportScope::All;

        // Accounts.
        let account_sql = if whole {
            "SELECT key, name, config FROM accounts ORDER BY key".to_owned()
        } else {
            "SELECT a.key, a.name, a.config FROM accounts a JOIN conversations c ON c.account_id = a.id WHERE c.id = ?1"
                .to_owned()
        };
        let mut stmt = self.conn.prepare(&account_sql)?;
        let mut rows = if whole { stmt.query([])? } else { stmt.query([conversations[0].0])? };
        while let Some(r) = rows.next()? {
            let config: String = r.get(2)?;
            emit(Record::Account(AccountRecord {
                account: r.get(0)?,
                name: r.get(1)?,
                config: serde_json::from_str(&config).unwrap_or_default(),
            }))?;
        }
        drop(rows);

        if whole {
            self.export_team(emit)?;
            self.export_settings(emit)?;
        }

        // Contacts.
        let contact_ids: Vec<i64> = if whole {
            self.conn
                // A merged-away customer lives on in the one it became part of.
                .prepare("SELECT id FROM contacts WHERE merged_into IS NULL ORDER BY uid")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        } else {
            conversations.iter().filter_map(|c| c.3).collect()
        };
        for id in contact_ids {
            emit(Record::Contact(self.contact_record(id)?))?;
        }

        // Conversations, each followed by its messages.
        for (id, account, external, _) in &conversations {
            emit(Record::Conversation(self.conversation_record(*id)?))?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, external_id, direction, author_kind, author_name, author_handle, body, sent_at, delivery
                 FROM messages WHERE conversation_id = ?1 ORDER BY sent_at, external_id",
            )?;
            let mut rows = stmt.query([id])?;
            while let Some(r) = rows.next()? {
                let message_id: i64 = r.get(0)?;
                let body: String = r.get(6)?;
                // Card numbers and one-time codes leave the store masked; an email that held
                // one leaves without its raw copy, which would give it back.
                let text = crate::privacy::mask(&body);
                let masked = matches!(text, std::borrow::Cow::Owned(_));
                let mut email = email_record(&self.conn, message_id, true)?;
                if let (true, Some(e)) = (masked, email.as_mut()) {
                    e.raw = None;
                }
                emit(Record::Message(MessageRecord {
                    account: account.clone(),
                    conversation: external.clone(),
                    id: r.get(1)?,
                    direction: r.get(2)?,
                    author: Author { kind: r.get(3)?, name: r.get(4)?, handle: r.get(5)? },
                    text: text.into_owned(),
                    at: from_ms(r.get(7)?),
                    delivery: Some(r.get(8)?),
                    attachments: attachments(&self.conn, message_id)?,
                    email: email.map(Box::new),
                }))?;
            }
            if let Some(thread) = self.public_thread_record(*id, account, external)? {
                emit(Record::PublicThread(thread))?;
            }
            let mut stmt = self
                .conn
                .prepare_cached("SELECT uid, author, body, created_at FROM notes WHERE conversation_id = ?1 ORDER BY uid")?;
            let mut rows = stmt.query([id])?;
            while let Some(r) = rows.next()? {
                emit(Record::Note(NoteRecord {
                    id: r.get(0)?,
                    account: account.clone(),
                    conversation: external.clone(),
                    author: r.get(1)?,
                    text: crate::privacy::mask(&r.get::<_, String>(2)?).into_owned(),
                    at: from_ms(r.get(3)?),
                }))?;
            }
        }

        if whole {
            let mut stmt = self.conn.prepare(
                "SELECT o.shop, o.external_id, ct.uid, o.number, o.placed_at, o.currency, o.total, o.financial_status,
                        o.fulfillment_status, o.items, o.tracking
                 FROM orders o LEFT JOIN contacts ct ON ct.id = o.contact_id ORDER BY o.shop, o.external_id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let items: String = r.get(9)?;
                let tracking: String = r.get(10)?;
                emit(Record::Order(OrderRecord {
                    shop: r.get(0)?,
                    id: r.get(1)?,
                    customer: r.get(2)?,
                    number: r.get(3)?,
                    at: from_ms(r.get(4)?),
                    currency: r.get(5)?,
                    total: r.get(6)?,
                    financial_status: r.get(7)?,
                    fulfillment_status: r.get(8)?,
                    items: parse_stored(&items)?,
                    tracking: parse_stored(&tracking)?,
                }))?;
            }
        }
        Ok(())
    }

    /// What makes a conversation a public thread, for export; `None` for a private one.
    fn public_thread_record(&self, id: i64, account: &str, external: &str) -> Result<Option<PublicThreadRecord>> {
        let public: bool = self.conn.prepare_cached("SELECT public FROM conversations WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
        if !public {
            return Ok(None);
        }
        let post = self.post_of(id)?.map(|p| PostRecord { id: p.external_id, text: p.text, author: p.author, url: p.url, at: p.at });
        let mut stmt = self.conn.prepare_cached(
            "SELECT external_id, hidden_reason, hidden_at FROM messages WHERE conversation_id = ?1 AND hidden_at IS NOT NULL ORDER BY external_id",
        )?;
        let hidden = stmt
            .query_map([id], |r| Ok(HiddenRecord { message: r.get(0)?, reason: r.get::<_, Option<String>>(1)?.unwrap_or_default(), at: Some(from_ms(r.get(2)?)) }))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(PublicThreadRecord { account: account.to_owned(), conversation: external.to_owned(), post, hidden }))
    }

    fn export_settings(&self, emit: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare("SELECT name, color FROM tags ORDER BY name")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            emit(Record::Tag(TagRecord { name: r.get(0)?, color: r.get(1)? }))?;
        }
        for calendar in self.calendars()? {
            emit(Record::Calendar(calendar))?;
        }
        for policy in self.sla_policies()? {
            emit(Record::SlaPolicy(policy))?;
        }
        for rule in self.rules()? {
            emit(Record::Rule(rule))?;
        }
        for reply in self.canned_replies()? {
            emit(Record::CannedReply(reply))?;
        }
        Ok(())
    }

    fn contact_record(&self, id: i64) -> Result<ContactRecord> {
        let mut record = self.conn.prepare_cached(
            "SELECT uid, name, email, phone, language, time_zone, status, created_at, notes FROM contacts WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(ContactRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                phone: r.get(3)?,
                language: r.get(4)?,
                time_zone: r.get(5)?,
                status: r.get(6)?,
                notes: r.get(8)?,
                tags: Vec::new(),
                identities: Vec::new(),
                created_at: Some(from_ms(r.get(7)?)),
            })
        })?;
        record.identities = self
            .conn
            .prepare_cached(
                "SELECT a.key, i.handle, i.display_name FROM identities i JOIN accounts a ON a.id = i.account_id
                 WHERE i.contact_id = ?1 ORDER BY a.key, i.handle",
            )?
            .query_map([id], |r| Ok(IdentityRecord { account: r.get(0)?, handle: r.get(1)?, name: r.get(2)? }))?
            .collect::<Result<_, _>>()?;
        record.tags = self
            .conn
            .prepare_cached(
                "SELECT t.name FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = ?1 ORDER BY t.name",
            )?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(record)
    }

    fn conversation_record(&self, id: i64) -> Result<ConversationRecord> {
        let mut record = self
            .conn
            .prepare_cached(
                "SELECT a.key, c.external_id, ct.uid, c.subject, c.status, c.priority, c.assignee, c.public, c.unread,
                        c.created_at
                 FROM conversations c JOIN accounts a ON a.id = c.account_id LEFT JOIN contacts ct ON ct.id = c.contact_id
                 WHERE c.id = ?1",
            )?
            .query_row([id], |r| {
                Ok(ConversationRecord {
                    account: r.get(0)?,
                    id: r.get(1)?,
                    customer: r.get(2)?,
                    subject: r.get(3)?,
                    status: r.get(4)?,
                    priority: r.get(5)?,
                    assignee: r.get(6)?,
                    public: r.get(7)?,
                    unread: r.get(8)?,
                    tags: Vec::new(),
                    created_at: Some(from_ms(r.get(9)?)),
                })
            })?;
        record.tags = self.conversation_tags(id)?;
        Ok(record)
    }

    /// A readable transcript of the conversations in `scope`.
    pub fn export_transcript(&self, scope: ExportScope, out: &mut dyn Write) -> Result<()> {
        let ids: Vec<i64> = match scope {
            ExportScope::Conversation(id) => vec![id],
            ExportScope::CannedReplies => return Err(Error::invalid("a transcript is of conversations, not of canned replies")),
            ExportScope::All => self
                .conn
                .prepare("SELECT id FROM conversations ORDER BY last_message_at, id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
        };
        for (n, id) in ids.into_iter().enumerate() {
            if n > 0 {
                writeln!(out)?;
            }
            write_thread(&self.thread(id, usize::MAX)?, out)?;
        }
        out.flush()?;
        Ok(())
    }
}

/// Writes a thread as plain text, one line a message. Customer text is made printable.
pub fn write_thread(thread: &Thread, out: &mut dyn Write) -> Result<()> {
    let c = &thread.conversation;
    writeln!(
        out,
        "Conversation #{} · {} · {} · {}{}",
        c.id,
        c.channel,
        printable(c.customer.as_deref().unwrap_or("unknown customer")),
        c.status,
        c.subject.as_deref().map(|s| format!(" · {}", printable(s))).unwrap_or_default()
    )?;
    if thread.has_older {
        writeln!(out, "    (older messages not shown)")?;
    }
    for m in &thread.messages {
        let who = m.author_name.as_deref().unwrap_or(match m.author_kind {
            AuthorKind::Customer => "Customer",
            AuthorKind::Agent => "Agent",
            AuthorKind::Bot => "Bot",
            AuthorKind::System => "System",
        });
        let at = m.at.strftime("%Y-%m-%d %H:%M UTC");
        let text = printable(&m.text).replace('\n', "\n    ");
        writeln!(out, "[{at}] {} ({}): {text}", printable(who), m.author_kind)?;
        for a in &m.attachments {
            let name = a.name.as_deref().or(a.url.as_deref()).unwrap_or("unnamed");
            writeln!(out, "    [{}: {}]", a.kind, printable(name))?;
        }
    }
    Ok(())
}

