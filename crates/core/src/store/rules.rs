//! Triage rules over the store: the rules and their defaults, and applying them to each new
//! customer message a write batch brought.

use super::rows::{calendars_in, parse_stored};
use crate::model::time::{from_ms, now_ms};
use super::Store;
use crate::error::{Error, Result};
use crate::interchange::{Record, RuleAction, RuleRecord};
use crate::model::{Channel, Priority};
use crate::rules::{Facts, RuleSet};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;

/// How many customers reporting the same thing within an hour make an incident.
pub const INCIDENT_CUSTOMERS: i64 = 3;
const SEEDED: &str = "rule_defaults_seeded";

pub(crate) fn load_rules(conn: &Connection) -> Result<Vec<RuleRecord>> {
    let mut stmt = conn.prepare_cached("SELECT name, position, enabled, conditions, actions FROM rules ORDER BY position, name")?;
    let mut rows = stmt.query([])?;
    let mut rules = Vec::new();
    while let Some(r) = rows.next()? {
        let (conditions, actions): (String, String) = (r.get(3)?, r.get(4)?);
        rules.push(RuleRecord { name: r.get(0)?, position: r.get(1)?, enabled: r.get(2)?, conditions: parse_stored(&conditions)?, actions: parse_stored(&actions)? });
    }
    Ok(rules)
}

fn add_tag(conn: &Connection, conversation: i64, tag: &str) -> Result<()> {
    conn.prepare_cached("INSERT INTO tags (name) VALUES (?1) ON CONFLICT (name) DO NOTHING")?.execute([tag])?;
    conn.prepare_cached(
        "INSERT INTO conversation_tags (conversation_id, tag_id) SELECT ?1, id FROM tags WHERE name = ?2 ON CONFLICT DO NOTHING",
    )?
    .execute(params![conversation, tag])?;
    Ok(())
}

thread_local! {
    /// The last rule set compiled on this thread, by a fingerprint of the stored rules and
    /// calendars: a sync writes thousands of batches, and compiling the rules' patterns for each
    /// cost a quarter of an initial sync's time.
    static COMPILED: std::cell::RefCell<Option<(u64, std::rc::Rc<RuleSet>)>> = const { std::cell::RefCell::new(None) };
}

/// The enabled rules, compiled (or the ones compiled before, if nothing changed); `None` when
/// there are none.
fn rule_set(conn: &Connection) -> Result<Option<std::rc::Rc<RuleSet>>> {
    use std::hash::{Hash, Hasher};
    let fingerprint: String = conn
        .prepare_cached(
            "SELECT coalesce((SELECT group_concat(name || position || enabled || conditions || actions, char(31)) FROM rules), '')
                 || char(30) || coalesce((SELECT group_concat(name || time_zone || hours || holidays, char(31)) FROM business_calendars), '')",
        )?
        .query_row([], |r| r.get(0))?;
    if fingerprint.starts_with('\u{1e}') {
        return Ok(None);
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    fingerprint.hash(&mut hasher);
    let key = hasher.finish();
    if let Some(set) = COMPILED.with(|c| c.borrow().as_ref().filter(|(k, _)| *k == key).map(|(_, s)| s.clone())) {
        return Ok(Some(set));
    }
    let set = std::rc::Rc::new(RuleSet::new(load_rules(conn)?, &calendars_in(conn)?));
    COMPILED.with(|c| *c.borrow_mut() = Some((key, set.clone())));
    Ok((!set.is_empty()).then_some(set))
}

/// Applies the rules to each `(conversation, message)` in turn: the new customer messages of
/// this batch. Runs inside the batch's transaction.
pub(crate) fn apply(conn: &Connection, messages: &[(i64, i64)]) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let Some(set) = rule_set(conn)? else { return Ok(()) };
    for &(conversation, message) in messages {
        type Row = (String, Channel, bool, Priority, Option<String>, Option<String>, i64, Option<i64>);
        let row: Option<Row> = conn
            .prepare_cached(
                "SELECT m.body, c.channel, c.public, c.priority, ct.status, ct.language, m.sent_at, c.contact_id
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id LEFT JOIN contacts ct ON ct.id = c.contact_id
                 WHERE m.id = ?1",
            )?
            .query_row([message], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)))
            .optional()?;
        let Some((text, channel, public, priority, status, language, at, contact)) = row else { continue };
        let facts = Facts { channel, public, text: &text, customer_status: status.as_deref(), language: language.as_deref(), priority, at: from_ms(at) };
        let actions = set.evaluate(&facts);
        // A message a rule raises is owed an answer, whatever an earlier rule said: a public
        // complaint is a mention too, but never one that needs no reply.
        // Nor is a customer who posted their private data in public: someone must act on it.
        let raised = actions.iter().rev().find_map(|(_, a)| match a {
            RuleAction::SetPriority(p) => Some(*p >= Priority::High),
            _ => None,
        }) == Some(true)
            || (public && !crate::privacy::kinds(&text).is_empty());
        for (_, action) in actions {
            match action {
                RuleAction::SetPriority(p) => {
                    conn.prepare_cached("UPDATE conversations SET priority = ?2 WHERE id = ?1 AND priority IS NOT ?2")?.execute(params![conversation, p])?;
                }
                RuleAction::AddTag(tag) => add_tag(conn, conversation, tag.trim())?,
                RuleAction::NeedsPrivateChannel => add_tag(conn, conversation, "needs-private")?,
                // A rule never takes a conversation from an agent who has it.
                RuleAction::Assign(who) => {
                    conn.prepare_cached("UPDATE conversations SET assignee = ?2 WHERE id = ?1 AND assignee IS NULL")?.execute(params![conversation, who.trim()])?;
                }
                RuleAction::NoReplyNeeded if raised => {}
                RuleAction::NoReplyNeeded => {
                    conn.prepare_cached("UPDATE conversations SET status = 'solved', unread = 0 WHERE id = ?1")?.execute([conversation])?;
                }
                RuleAction::Incident(key) => incident(conn, key.trim(), conversation, contact, at)?,
            }
        }
    }
    Ok(())
}

/// Records a report of `key`; once enough different customers report it within the hour, every
/// conversation reporting it is tagged `incident:<key>` and raised to high. Only messages of the
/// last hour count (an incident is news, not history), and the reporters are counted only up to
/// the threshold, so a busy incident costs the same per message as a quiet one. Reports arrive
/// out of time order (each account syncs on its own), so those written after this one count too.
fn incident(conn: &Connection, key: &str, conversation: i64, contact: Option<i64>, at: i64) -> Result<()> {
    if at < now_ms() - 3_600_000 {
        return Ok(());
    }
    let since = at - 3_600_000;
    let reporters = |conn: &Connection| -> Result<i64> {
        Ok(conn
            .prepare_cached(
                "SELECT count(*) FROM (SELECT DISTINCT coalesce('c' || contact_id, 'v' || conversation_id)
                                        FROM incident_hits WHERE key = ?1 AND at > ?2 LIMIT ?3)",
            )?
            .query_row(params![key, since, INCIDENT_CUSTOMERS], |r| r.get(0))?)
    };
    let before = reporters(conn)?;
    conn.prepare_cached("INSERT INTO incident_hits (key, conversation_id, contact_id, at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![key, conversation, contact, at])?;
    let after = reporters(conn)?;
    if after < INCIDENT_CUSTOMERS {
        return Ok(());
    }
    // Just became an incident: every conversation that reported it; already one: this one.
    let conversations: BTreeSet<i64> = if before < INCIDENT_CUSTOMERS {
        conn.prepare_cached("SELECT DISTINCT conversation_id FROM incident_hits WHERE key = ?1 AND at > ?2")?
            .query_map(params![key, since], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    } else {
        BTreeSet::from([conversation])
    };
    let tag = format!("incident:{key}");
    for id in conversations {
        add_tag(conn, id, &tag)?;
        conn.prepare_cached("UPDATE conversations SET priority = 'high' WHERE id = ?1 AND priority IN ('low', 'normal')")?.execute([id])?;
    }
    Ok(())
}

impl Store {
    pub fn rules(&self) -> Result<Vec<RuleRecord>> {
        load_rules(&self.conn)
    }

    /// Adds or replaces a rule (by name), checked first.
    pub fn save_rule(&mut self, rule: &RuleRecord) -> Result<()> {
        crate::rules::check(rule)?;
        self.write_batch(&[Record::Rule(rule.clone())])?;
        Ok(())
    }

    pub fn delete_rule(&mut self, name: &str) -> Result<()> {
        if self.conn.execute("DELETE FROM rules WHERE name = ?1", [name])? == 0 {
            return Err(Error::Missing { what: "rule", id: name.to_owned() });
        }
        Ok(())
    }

    /// A new store triages from the start with the default rules; once only, so rules an agent
    /// removed stay removed.
    pub fn seed_rule_defaults(&mut self) -> Result<()> {
        if self.setting::<bool>(SEEDED)? {
            return Ok(());
        }
        let empty: bool = self.conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM rules)", [], |r| r.get(0))?;
        if empty {
            let records: Vec<Record> = crate::rules::defaults().into_iter().map(Record::Rule).collect();
            self.write_batch(&records)?;
        }
        self.set_setting(SEEDED, &true)?;
        Ok(())
    }
}
