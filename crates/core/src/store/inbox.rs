//! The inbox: a view's conversations a page at a time, in either order, by keyset (each page
//! starts after the last row of the one before, so paging costs the same at row 50 as at row
//! 100,000), which of some conversations a view holds, and the counts beside it.
//!
//! A view is read in parts, each along an index: newest activity first, conversations flagged
//! for sensitive data in public come before the rest; by next breach, running clocks by due
//! time come before the rest. Each part ends with its conversations that have no message yet
//! (no time to order them by), newest first by id.

use super::rows::{inbox_row, INBOX_FLAGGED_SELECT, INBOX_SELECT};
use super::util::UNSOLVED;
use super::Store;
use crate::error::Result;
use crate::model::time::to_ms;
use crate::model::{InboxCursor, InboxFilter, InboxRow};
use rusqlite::types::Value;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCount {
    pub table: &'static str,
    pub rows: i64,
}

const TABLES: &[&str] = &[
    "accounts",
    "contacts",
    "identities",
    "conversations",
    "messages",
    "attachments",
    "outbox",
    "orders",
    "tags",
    "notes",
    "contact_merges",
    "canned_replies",
    "sla_policies",
    "business_calendars",
    "rules",
    "sync_cursors",
];

/// A page of a view, and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq)]
pub struct InboxPage {
    pub rows: Vec<InboxRow>,
    pub next: Option<InboxCursor>,
}

/// The parts of a view, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Flagged for sensitive data in public, newest activity first.
    Flagged,
    /// The rest, newest activity first.
    Rest,
    /// With a running clock, due soonest first.
    Due,
    /// Without a running clock (or solved), newest activity first.
    Undue,
}

impl Part {
    fn code(self) -> u8 {
        match self {
            Part::Flagged => 0,
            Part::Rest => 1,
            Part::Due => 2,
            Part::Undue => 3,
        }
    }

    fn of(code: u8) -> Option<Part> {
        [Part::Flagged, Part::Rest, Part::Due, Part::Undue].into_iter().find(|p| p.code() == code)
    }
}

/// The view's conditions on `c`, each starting with " AND", and their parameters.
fn conditions(filter: &InboxFilter) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut params: Vec<Value> = Vec::new();
    if let Some(ch) = filter.channel {
        sql.push_str(" AND c.channel = ?");
        params.push(Value::Text(ch.as_str().into()));
    }
    if let Some(st) = filter.status {
        sql.push_str(" AND c.status = ?");
        params.push(Value::Text(st.as_str().into()));
    }
    if let Some(who) = &filter.assignee {
        sql.push_str(" AND c.assignee = ?");
        params.push(Value::Text(who.clone()));
    }
    if filter.unassigned {
        sql.push_str(" AND c.assignee IS NULL");
    }
    if let Some(public) = filter.public {
        sql.push_str(" AND c.public = ?");
        params.push(Value::Integer(public as i64));
    }
    if let Some(id) = filter.contact_id {
        sql.push_str(" AND c.contact_id = ?");
        params.push(Value::Integer(id));
    }
    if let Some(tag) = &filter.tag {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM conversation_tags x JOIN tags t ON t.id = x.tag_id
                          WHERE x.conversation_id = c.id AND t.name = ?)",
        );
        params.push(Value::Text(tag.clone()));
    }
    (sql, params)
}

impl Store {
    /// The first page of a view (see `inbox_page`).
    pub fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxRow>> {
        Ok(self.inbox_page(filter, None)?.rows)
    }

    /// A page of at most `filter.limit` rows of a view, starting after `after` (a cursor an
    /// earlier page gave), with the cursor of the page after it.
    pub fn inbox_page(&self, filter: &InboxFilter, after: Option<&InboxCursor>) -> Result<InboxPage> {
        let now = jiff::Timestamp::now();
        if filter.by_breach {
            self.refresh_breaches(now)?;
        }
        let parts: &[Part] = if filter.by_breach { &[Part::Due, Part::Undue] } else { &[Part::Flagged, Part::Rest] };
        let limit = filter.limit.max(1);
        let (conditions, params) = conditions(filter);
        // Each row with its part and its key there (what the next page's cursor starts after).
        let mut rows: Vec<(InboxRow, Part, Option<i64>)> = Vec::new();
        // Where reading resumes: a part, and in it after a key (absent: its rows without a time).
        let start = after.and_then(|c| Part::of(c.part).map(|p| (p, c)));
        let mut next = None;
        for &part in parts.iter().skip_while(|p| start.is_some_and(|(s, _)| s != **p)) {
            let resume = start.filter(|(p, _)| *p == part).map(|(_, c)| c);
            // Rows with a key, then (unless resuming among them) those without.
            let keyed_done = resume.is_some_and(|c| c.key.is_none());
            if !keyed_done {
                let want = limit + 1 - rows.len();
                let got = self.part_rows(part, true, &conditions, &params, resume, want)?;
                rows.extend(got.into_iter().map(|(row, key)| (row, part, key)));
            }
            if rows.len() <= limit {
                let want = limit + 1 - rows.len();
                let resume = resume.filter(|c| c.key.is_none());
                let got = self.part_rows(part, false, &conditions, &params, resume, want)?;
                rows.extend(got.into_iter().map(|(row, key)| (row, part, key)));
            }
            if rows.len() > limit {
                rows.truncate(limit);
                let (last, part, key) = rows.last().expect("a full page");
                next = Some(InboxCursor { part: part.code(), key: *key, id: last.id });
                break;
            }
        }
        let mut rows: Vec<InboxRow> = rows.into_iter().map(|(row, _, _)| row).collect();
        if !filter.by_breach {
            self.attach_clocks(&mut rows, now)?;
        }
        Ok(InboxPage { rows, next })
    }

    /// At most `limit` rows of one part of a view: those with a key (a latest message's time, a
    /// due time) or those without, after `resume`.
    fn part_rows(&self, part: Part, keyed: bool, conditions: &str, params: &[Value], resume: Option<&InboxCursor>, limit: usize) -> Result<Vec<(InboxRow, Option<i64>)>> {
        let mut params = params.to_vec();
        let (select, which, key, ascending) = match part {
            Part::Flagged => (INBOX_FLAGGED_SELECT, "c.sensitive = 1".to_owned(), "c.last_message_at", false),
            Part::Rest => (INBOX_SELECT, "c.sensitive = 0".to_owned(), "c.last_message_at", false),
            Part::Due => ("", format!("{UNSOLVED} AND c.sla_due_at IS NOT NULL"), "c.sla_due_at", true),
            Part::Undue => (INBOX_SELECT, format!("(c.sla_due_at IS NULL OR NOT {UNSOLVED})"), "c.last_message_at", false),
        };
        // Conversations without a key are never due: the due part has none.
        if part == Part::Due && !keyed {
            return Ok(Vec::new());
        }
        let mut sql_where = format!("{which}{conditions}");
        let (order, before) = if ascending { ("ASC", ">") } else { ("DESC", "<") };
        if keyed {
            sql_where.push_str(&format!(" AND {key} IS NOT NULL"));
        } else {
            sql_where.push_str(&format!(" AND {key} IS NULL"));
        }
        match (resume, keyed) {
            (Some(InboxCursor { key: Some(k), id, .. }), true) => {
                sql_where.push_str(&format!(" AND ({key}, c.id) {before} (?, ?)"));
                params.push(Value::Integer(*k));
                params.push(Value::Integer(*id));
            }
            (Some(InboxCursor { key: None, id, .. }), false) => {
                sql_where.push_str(&format!(" AND c.id {before} ?"));
                params.push(Value::Integer(*id));
            }
            _ => {}
        }
        params.push(Value::Integer(limit as i64));
        let order_by = if keyed { format!("{key} {order}, c.id {order}") } else { format!("c.id {order}") };
        if part == Part::Due {
            // Walked in due order on the kept instants' index, then read as rows with clocks.
            let sql = format!("SELECT c.id, c.sla_due_at FROM conversations c INDEXED BY conversations_sla_due WHERE {sql_where} ORDER BY {order_by} LIMIT ?");
            let due: Vec<(i64, i64)> =
                self.conn.prepare_cached(&sql)?.query_map(rusqlite::params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            let ids: Vec<i64> = due.iter().map(|(id, _)| *id).collect();
            let at: std::collections::HashMap<i64, i64> = due.into_iter().collect();
            let rows = self.inbox_rows(&ids, jiff::Timestamp::now())?;
            return Ok(rows.into_iter().map(|row| {
                let key = at.get(&row.id).copied();
                (row, key)
            }).collect());
        }
        let sql = format!("{select} WHERE {sql_where} ORDER BY {order_by} LIMIT ?");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query_map(rusqlite::params_from_iter(params), inbox_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        if part == Part::Undue {
            self.attach_clocks(&mut rows, jiff::Timestamp::now())?;
        }
        Ok(rows.into_iter().map(|row| {
            let key = row.last_message_at.map(to_ms);
            (row, key)
        }).collect())
    }

    /// Of these conversations, the ones the view holds (in no particular order): how a view
    /// learns whether conversations that changed belong in it.
    pub fn in_view(&self, filter: &InboxFilter, ids: &[i64]) -> Result<Vec<i64>> {
        let (conditions, mut params) = conditions(filter);
        params.insert(0, Value::Text(serde_json::to_string(ids).expect("json")));
        let sql = format!("SELECT c.id FROM conversations c WHERE c.id IN (SELECT value FROM json_each(?)){conditions}");
        Ok(self.conn.prepare_cached(&sql)?.query_map(rusqlite::params_from_iter(params), |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    /// Each row's most urgent SLA clock as of `now`.
    pub(crate) fn attach_clocks(&self, rows: &mut [InboxRow], now: jiff::Timestamp) -> Result<()> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for (row, view) in rows.iter_mut().zip(self.sla_of(&ids, now)?) {
            debug_assert_eq!(row.id, view.conversation);
            row.clock = view.most_urgent().cloned();
        }
        Ok(())
    }

    /// Unread customer messages over every conversation (the tray and the window title show it).
    pub fn unread_total(&self) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT COALESCE(SUM(unread), 0) FROM conversations")?.query_row([], |r| r.get(0))?)
    }

    /// Row counts per table.
    pub fn stats(&self) -> Result<Vec<TableCount>> {
        TABLES
            .iter()
            .map(|table| {
                let rows = self.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                Ok(TableCount { table, rows })
            })
            .collect()
    }
}
