//! Customers: the profile panel's view of one person, the agent's edits to it, manual merges
//! (and their exact undoing), internal notes, and the shop's orders cached for offline use.

use super::rows::{contact_view, inbox_row, CONTACT_COLUMNS, INBOX_SELECT};
use crate::model::time::{from_ms, now_ms, to_ms};
use super::Store;
use crate::error::{Error, Result};
use crate::interchange::{OrderRecord, Tracking, OrderItem};
use crate::model::*;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

pub(crate) fn note_view(r: &rusqlite::Row<'_>) -> rusqlite::Result<NoteView> {
    let text: String = r.get(3)?;
    // A card number pasted into a note is masked like one in a message.
    let text = crate::privacy::mask(&text).into_owned();
    Ok(NoteView { id: r.get(0)?, conversation_id: r.get(1)?, author: r.get(2)?, text, at: from_ms(r.get(4)?) })
}

/// A phone number as the store keeps it, so one number typed or sent two ways is one key:
/// separators dropped, a leading `+` kept, a channel prefix such as `whatsapp:` removed.
/// `None` when it is not a phone number.
pub fn normalise_phone(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text.rsplit_once(':').map_or(text, |(_, number)| number);
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", text),
    };
    let digits: String = rest.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    (digits.chars().all(|c| c.is_ascii_digit()) && (6..=15).contains(&digits.len())).then(|| format!("{plus}{digits}"))
}

/// The fields a merge may fill in and an un-merge gives back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Fields {
    email: Option<String>,
    phone: Option<String>,
    language: Option<String>,
    time_zone: Option<String>,
    status: Option<String>,
    notes: Option<String>,
    tags: Vec<i64>,
}

impl ContactEdit {
    /// The edit with every field checked and tidied, or what is wrong with it.
    fn checked(&self) -> Result<ContactEdit> {
        fn some(text: &Option<String>) -> Option<String> {
            text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::invalid("a customer's name must have 1 to 200 characters"));
        }
        let email = some(&self.email);
        if let Some(e) = &email {
            let valid = e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            }) && !e.chars().any(|c| c.is_whitespace() || c.is_control()) && e.len() <= 254;
            if !valid {
                return Err(Error::invalid(format!("{e:?} is not an email address")));
            }
        }
        let phone = match some(&self.phone) {
            Some(p) => Some(normalise_phone(&p).ok_or_else(|| {
                Error::invalid(format!("{p:?} is not a phone number: use digits, optionally after +, e.g. +82 10 1234 5678"))
            })?),
            None => None,
        };
        let language = some(&self.language);
        if let Some(l) = &language {
            let mut parts = l.split('-');
            let primary = parts.next().unwrap_or_default();
            let valid = (2..=3).contains(&primary.len())
                && primary.chars().all(|c| c.is_ascii_alphabetic())
                && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
            if !valid {
                return Err(Error::invalid(format!("{l:?} is not a language tag such as ko or en-GB")));
            }
        }
        let time_zone = some(&self.time_zone);
        if let Some(tz) = &time_zone {
            if jiff::tz::TimeZone::get(tz).is_err() {
                return Err(Error::invalid(format!("{tz:?} is not a time zone such as Asia/Seoul")));
            }
        }
        let status = some(&self.status).map(|s| s.to_lowercase());
        if status.as_ref().is_some_and(|s| s.chars().count() > 40) {
            return Err(Error::invalid("a customer's status has at most 40 characters"));
        }
        let notes = some(&self.notes);
        if notes.as_ref().is_some_and(|n| n.chars().count() > 10_000) {
            return Err(Error::invalid("a customer's notes have at most 10,000 characters"));
        }
        let mut tags: Vec<String> = self.tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
        tags.sort();
        tags.dedup();
        Ok(ContactEdit { name: name.to_owned(), email, phone, language, time_zone, status, tags, notes })
    }
}

fn fields(tx: &Transaction<'_>, contact: i64) -> Result<Fields> {
    let mut f = tx
        .prepare_cached("SELECT email, phone, language, time_zone, status, notes FROM contacts WHERE id = ?1")?
        .query_row([contact], |r| {
            Ok(Fields {
                email: r.get(0)?,
                phone: r.get(1)?,
                language: r.get(2)?,
                time_zone: r.get(3)?,
                status: r.get(4)?,
                notes: r.get(5)?,
                tags: Vec::new(),
            })
        })?;
    f.tags = ids(tx, "SELECT tag_id FROM contact_tags WHERE contact_id = ?1 ORDER BY tag_id", contact)?;
    Ok(f)
}

fn ids(tx: &Transaction<'_>, sql: &str, owner: i64) -> Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map([owner], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn write_fields(tx: &Transaction<'_>, contact: i64, f: &Fields) -> Result<()> {
    tx.prepare_cached("UPDATE contacts SET email = ?2, phone = ?3, language = ?4, time_zone = ?5, status = ?6, notes = ?7 WHERE id = ?1")?
        .execute(params![contact, f.email, f.phone, f.language, f.time_zone, f.status, f.notes])?;
    tx.execute("DELETE FROM contact_tags WHERE contact_id = ?1", [contact])?;
    let mut insert = tx.prepare_cached("INSERT INTO contact_tags (contact_id, tag_id) VALUES (?1, ?2)")?;
    for tag in &f.tags {
        insert.execute(params![contact, tag])?;
    }
    Ok(())
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("json")
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::invalid(format!("a stored merge does not read: {e}")))
}

impl Store {
    /// The customer behind `key`: the store's number for it, or its uid (`ct_…` or an imported
    /// id). A merged-away customer leads to the one it became part of.
    pub fn customer_id(&self, key: &str) -> Result<i64> {
        let key = key.trim();
        let found: Option<(i64, Option<i64>)> = self
            .conn
            .prepare_cached("SELECT id, merged_into FROM contacts WHERE uid = ?1 OR (id = ?2 AND ?2 IS NOT NULL)")?
            .query_row(params![key, key.parse::<i64>().ok()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (mut id, mut into) = found.ok_or_else(|| Error::Missing { what: "customer", id: key.to_owned() })?;
        // Chains are short (a merge of a merge); the bound guards against a corrupt cycle.
        for _ in 0..32 {
            let Some(next) = into else { break };
            id = next;
            into = self.conn.prepare_cached("SELECT merged_into FROM contacts WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
        }
        Ok(id)
    }

    /// Everything the profile panel shows about a customer.
    pub fn customer(&self, id: i64) -> Result<CustomerProfile> {
        let (contact, notes) = self
            .conn
            .prepare_cached(&format!("SELECT {CONTACT_COLUMNS}, ct.notes FROM contacts ct WHERE ct.id = ?1"))?
            .query_row([id], |r| Ok((contact_view(r)?, r.get(8)?)))
            .optional()?
            .ok_or_else(|| Error::Missing { what: "customer", id: id.to_string() })?;
        let tags = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT t.name FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = ?1 ORDER BY t.name",
            )?;
            let rows = stmt.query_map([id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()?
        };
        let identities = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT a.key, a.channel, i.handle, i.display_name FROM identities i JOIN accounts a ON a.id = i.account_id
                 WHERE i.contact_id = ?1 ORDER BY a.channel, a.key, i.handle",
            )?;
            let rows = stmt.query_map([id], |r| {
                Ok(IdentityView { account: r.get(0)?, channel: r.get(1)?, handle: r.get(2)?, display_name: r.get(3)? })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let conversations = {
            let mut stmt = self.conn.prepare_cached(&format!(
                "{INBOX_SELECT} WHERE c.contact_id = ?1 ORDER BY c.last_message_at DESC, c.id DESC"
            ))?;
            let rows = stmt.query_map([id], inbox_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let (orders_checked_at, orders_error) = self
            .conn
            .prepare_cached("SELECT fetched_at, error FROM order_lookups WHERE contact_id = ?1")?
            .query_row([id], |r| Ok((Some(from_ms(r.get(0)?)), r.get(1)?)))
            .optional()?
            .unwrap_or((None, None));
        let merges = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT m.id, m.absorbed_id, c.name, m.merged_at, m.merged_by FROM contact_merges m
                 JOIN contacts c ON c.id = m.absorbed_id WHERE m.kept_id = ?1 ORDER BY m.id DESC",
            )?;
            let rows = stmt.query_map([id], |r| {
                Ok(MergeView {
                    id: r.get(0)?,
                    absorbed_id: r.get(1)?,
                    absorbed_name: r.get(2)?,
                    merged_at: from_ms(r.get(3)?),
                    merged_by: r.get(4)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        Ok(CustomerProfile {
            contact,
            tags,
            notes,
            identities,
            conversations,
            orders: self.orders(id)?,
            orders_checked_at,
            orders_error,
            merges,
        })
    }

    /// Saves the agent's edit of a customer's fields (checked first: nothing is stored on error).
    pub fn edit_customer(&mut self, id: i64, edit: &ContactEdit) -> Result<()> {
        let edit = edit.checked()?;
        self.transaction(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE contacts SET name = ?2, email = ?3, phone = ?4, language = ?5, time_zone = ?6, status = ?7, notes = ?8
                     WHERE id = ?1 AND merged_into IS NULL",
                )?
                .execute(params![id, edit.name, edit.email, edit.phone, edit.language, edit.time_zone, edit.status, edit.notes])?;
            if changed == 0 {
                return Err(Error::Missing { what: "customer", id: id.to_string() });
            }
            let writer = super::ingest::Upserter::live(tx);
            writer.set_tags("contact_tags", "contact_id", id, &edit.tags)?;
            super::ingest::index_contacts(tx, &[id])
        })
    }

    /// Adds an internal note to a conversation. Notes are never sent; search finds them.
    pub fn add_note(&mut self, conversation: i64, author: Option<&str>, text: &str) -> Result<NoteView> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::invalid("a note is empty"));
        }
        if text.chars().count() > 20_000 {
            return Err(Error::invalid("a note has at most 20,000 characters"));
        }
        self.transaction(|tx| {
            let exists = tx.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?.exists([conversation])?;
            if !exists {
                return Err(Error::Missing { what: "conversation", id: conversation.to_string() });
            }
            let uid = format!("nt_{}", uuid::Uuid::new_v4().simple());
            let note = tx
                .prepare_cached(
                    "INSERT INTO notes (uid, conversation_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     RETURNING id, conversation_id, author, body, created_at",
                )?
                .query_row(params![uid, conversation, author, text, now_ms()], note_view)?;
            // In a team the hub names the note by the action's key: the log's record of it is
            // this note, not a second one.
            super::team_actions::queue(tx, conversation, &crate::team::Action::Note { text: text.to_owned() }, Some(&uid))?;
            Ok(note)
        })
    }

    /// Notes whose text matches `text`, newest first (on one channel, when given).
    pub fn search_notes(&self, text: &str, channel: Option<Channel>, limit: usize) -> Result<Vec<(NoteView, Channel, Option<String>)>> {
        let Some(expr) = crate::search::match_expression(text) else {
            return Err(Error::invalid("the search has no words to look for"));
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT n.id, n.conversation_id, n.author, n.body, n.created_at, c.channel, ct.name
             FROM note_fts f JOIN notes n ON n.id = f.rowid JOIN conversations c ON c.id = n.conversation_id
             LEFT JOIN contacts ct ON ct.id = c.contact_id
             WHERE note_fts MATCH ?1 AND (?2 IS NULL OR c.channel = ?2)
             ORDER BY n.created_at DESC, n.id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![expr, channel, limit.max(1) as i64], |r| Ok((note_view(r)?, r.get(5)?, r.get(6)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Makes `absorb` part of `keep`: its handles, conversations and orders move over, empty
    /// fields of `keep` are filled from it, and their tags are joined. `unmerge` undoes it.
    pub fn merge_customers(&mut self, keep: i64, absorb: i64, by: Option<&str>) -> Result<MergeView> {
        if keep == absorb {
            return Err(Error::invalid("a customer cannot be merged with itself"));
        }
        let merge = self.transaction(|tx| {
            for id in [keep, absorb] {
                let merged: Option<Option<i64>> =
                    tx.prepare_cached("SELECT merged_into FROM contacts WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
                match merged {
                    None => return Err(Error::Missing { what: "customer", id: id.to_string() }),
                    Some(Some(into)) => {
                        return Err(Error::invalid(format!("customer {id} is already part of customer {into}")))
                    }
                    Some(None) => {}
                }
            }
            let before = fields(tx, keep)?;
            let theirs = fields(tx, absorb)?;
            let fill = |mine: &Option<String>, other: &Option<String>| mine.clone().or_else(|| other.clone());
            let mut after = Fields {
                email: fill(&before.email, &theirs.email),
                phone: fill(&before.phone, &theirs.phone),
                language: fill(&before.language, &theirs.language),
                time_zone: fill(&before.time_zone, &theirs.time_zone),
                status: fill(&before.status, &theirs.status),
                notes: match (&before.notes, &theirs.notes) {
                    (Some(a), Some(b)) if a != b => Some(format!("{a}\n\n{b}")),
                    (a, b) => fill(a, b),
                },
                tags: before.tags.iter().chain(&theirs.tags).copied().collect(),
            };
            after.tags.sort();
            after.tags.dedup();
            let identities = ids(tx, "SELECT id FROM identities WHERE contact_id = ?1 ORDER BY id", absorb)?;
            let conversations = ids(tx, "SELECT id FROM conversations WHERE contact_id = ?1 ORDER BY id", absorb)?;
            let orders = ids(tx, "SELECT id FROM orders WHERE contact_id = ?1 ORDER BY id", absorb)?;
            tx.execute("UPDATE identities SET contact_id = ?1 WHERE contact_id = ?2", params![keep, absorb])?;
            tx.execute("UPDATE conversations SET contact_id = ?1 WHERE contact_id = ?2", params![keep, absorb])?;
            tx.execute("UPDATE orders SET contact_id = ?1 WHERE contact_id = ?2", params![keep, absorb])?;
            write_fields(tx, keep, &after)?;
            tx.execute("UPDATE contacts SET merged_into = ?1 WHERE id = ?2", params![keep, absorb])?;
            // The absorbed customer is no longer a search result of its own.
            tx.execute("DELETE FROM contact_fts WHERE rowid = ?1", [absorb])?;
            super::ingest::index_contacts(tx, &[keep])?;
            let at = now_ms();
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO contact_merges (kept_id, absorbed_id, kept_before, kept_after, identities, conversations, orders, merged_at, merged_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                )?
                .query_row(
                    params![keep, absorb, json(&before), json(&after), json(&identities), json(&conversations), json(&orders), at, by],
                    |r| r.get(0),
                )?;
            Ok(id)
        })?;
        self.customer(keep)?.merges.into_iter().find(|m| m.id == merge).ok_or_else(|| Error::Missing { what: "merge", id: merge.to_string() })
    }

    /// The customer a merge went into.
    pub fn customer_id_of_merge(&self, merge: i64) -> Result<i64> {
        self.conn
            .prepare_cached("SELECT kept_id FROM contact_merges WHERE id = ?1")?
            .query_row([merge], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::Missing { what: "merge", id: merge.to_string() })
    }

    /// Undoes a merge: the merged-in customer comes back with the same id, handles,
    /// conversations (including ones started since through its handles), orders, fields and
    /// tags. A field of the kept customer goes back to its earlier value unless an agent changed
    /// it after the merge. Returns the restored customer's id.
    pub fn unmerge(&mut self, merge: i64) -> Result<i64> {
        self.transaction(|tx| {
            let row: Option<(i64, i64, String, String, String, String, String)> = tx
                .prepare_cached(
                    "SELECT kept_id, absorbed_id, kept_before, kept_after, identities, conversations, orders FROM contact_merges WHERE id = ?1",
                )?
                .query_row([merge], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
                .optional()?;
            let (keep, absorb, before, after, identities, conversations, orders) =
                row.ok_or_else(|| Error::Missing { what: "merge", id: merge.to_string() })?;
            let kept_into: Option<i64> = tx.prepare_cached("SELECT merged_into FROM contacts WHERE id = ?1")?.query_row([keep], |r| r.get(0))?;
            if let Some(into) = kept_into {
                return Err(Error::invalid(format!(
                    "customer {keep} has since been merged into customer {into}: undo that merge first"
                )));
            }
            let (before, after): (Fields, Fields) = (parse(&before)?, parse(&after)?);
            let (identities, conversations, orders): (Vec<i64>, Vec<i64>, Vec<i64>) =
                (parse(&identities)?, parse(&conversations)?, parse(&orders)?);
            let back = |table: &str, list: &[i64]| -> Result<()> {
                tx.execute(
                    &format!("UPDATE {table} SET contact_id = ?1 WHERE contact_id = ?2 AND id IN (SELECT value FROM json_each(?3))"),
                    params![absorb, keep, json(&list)],
                )?;
                Ok(())
            };
            back("identities", &identities)?;
            back("conversations", &conversations)?;
            back("orders", &orders)?;
            // Conversations begun since the merge through the absorbed customer's handles are theirs.
            tx.execute(
                "UPDATE conversations SET contact_id = ?1
                 WHERE contact_id = ?2 AND id IN (
                     SELECT m.conversation_id FROM identities i
                     JOIN messages m ON m.account_id = i.account_id AND m.author_handle = i.handle AND m.direction = 'in'
                     WHERE i.contact_id = ?1)",
                params![absorb, keep],
            )?;
            let now = fields(tx, keep)?;
            let pick = |now: &Option<String>, after: &Option<String>, before: &Option<String>| {
                if now == after { before.clone() } else { now.clone() }
            };
            let added: Vec<i64> = after.tags.iter().filter(|t| !before.tags.contains(t)).copied().collect();
            let restored = Fields {
                email: pick(&now.email, &after.email, &before.email),
                phone: pick(&now.phone, &after.phone, &before.phone),
                language: pick(&now.language, &after.language, &before.language),
                time_zone: pick(&now.time_zone, &after.time_zone, &before.time_zone),
                status: pick(&now.status, &after.status, &before.status),
                notes: pick(&now.notes, &after.notes, &before.notes),
                tags: now.tags.iter().filter(|t| !added.contains(t)).copied().collect(),
            };
            write_fields(tx, keep, &restored)?;
            tx.execute("UPDATE contacts SET merged_into = NULL WHERE id = ?1", [absorb])?;
            tx.execute("DELETE FROM contact_merges WHERE id = ?1", [merge])?;
            super::ingest::index_contacts(tx, &[keep, absorb])?;
            Ok(absorb)
        })
    }

    /// A customer's cached orders, newest first.
    pub fn orders(&self, contact: i64) -> Result<Vec<OrderView>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT shop, external_id, number, placed_at, currency, total, financial_status, fulfillment_status, items, tracking
             FROM orders WHERE contact_id = ?1 ORDER BY placed_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([contact], |r| {
            let items: String = r.get(8)?;
            let tracking: String = r.get(9)?;
            Ok(OrderView {
                shop: r.get(0)?,
                external_id: r.get(1)?,
                number: r.get(2)?,
                placed_at: from_ms(r.get(3)?),
                currency: r.get(4)?,
                total: r.get(5)?,
                financial_status: r.get(6)?,
                fulfillment_status: r.get(7)?,
                items: serde_json::from_str::<Vec<OrderItem>>(&items).unwrap_or_default(),
                tracking: serde_json::from_str::<Vec<Tracking>>(&tracking).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When the customer's orders were last looked up, if ever.
    pub fn orders_checked_at(&self, contact: i64) -> Result<Option<jiff::Timestamp>> {
        Ok(self
            .conn
            .prepare_cached("SELECT fetched_at FROM order_lookups WHERE contact_id = ?1")?
            .query_row([contact], |r| r.get::<_, i64>(0))
            .optional()?
            .map(from_ms))
    }

    /// Stores a lookup's orders for the customer (each order is upserted on shop and id, so a
    /// refresh updates states and tracking) and when it happened.
    pub fn save_orders(&mut self, contact: i64, orders: &[OrderRecord], at: jiff::Timestamp) -> Result<()> {
        let uid: String = self
            .conn
            .prepare_cached("SELECT uid FROM contacts WHERE id = ?1")?
            .query_row([contact], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::Missing { what: "customer", id: contact.to_string() })?;
        let records: Vec<crate::interchange::Record> = orders
            .iter()
            .map(|o| crate::interchange::Record::Order(OrderRecord { customer: Some(uid.clone()), ..o.clone() }))
            .collect();
        self.transaction(|tx| {
            super::ingest::all_or_nothing(tx, &records)?;
            tx.prepare_cached(
                "INSERT INTO order_lookups (contact_id, fetched_at, error) VALUES (?1, ?2, NULL)
                 ON CONFLICT (contact_id) DO UPDATE SET fetched_at = excluded.fetched_at, error = NULL",
            )?
            .execute(params![contact, to_ms(at)])?;
            Ok(())
        })
    }

    /// Notes that a lookup failed, so the panel can say why its orders may be old. The cached
    /// orders stay.
    pub fn order_lookup_failed(&mut self, contact: i64, error: &str, at: jiff::Timestamp) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO order_lookups (contact_id, fetched_at, error) VALUES (?1, ?2, ?3)
                 ON CONFLICT (contact_id) DO UPDATE SET fetched_at = excluded.fetched_at, error = excluded.error",
            )?
            .execute(params![contact, to_ms(at), error])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::normalise_phone;

    #[test]
    fn phone_numbers_are_one_key_however_written() {
        assert_eq!(normalise_phone("whatsapp:+82 10-1234-5678").as_deref(), Some("+821012345678"));
        assert_eq!(normalise_phone("+82 (10) 1234.5678").as_deref(), Some("+821012345678"));
        assert_eq!(normalise_phone("0101234567").as_deref(), Some("0101234567"));
        assert_eq!(normalise_phone("call me"), None);
        assert_eq!(normalise_phone("+12"), None);
    }
}
