//! The inbox: pages of a view, in either order, and the counts beside it.

use super::rows::{inbox_row, INBOX_FLAGGED_SELECT, INBOX_SELECT};
use super::util::UNSOLVED;
use crate::model::time::to_ms;
use super::Store;
use crate::error::Result;
use crate::model::{InboxFilter, InboxRow};
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

impl Store {
    /// One page of the inbox, newest activity first.
    pub fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxRow>> {
        // The view's conditions, shared by both orders.
        let mut filters = String::new();
        let mut params: Vec<Value> = Vec::new();
        if let Some(ch) = filter.channel {
            filters.push_str(" AND c.channel = ?");
            params.push(Value::Text(ch.as_str().into()));
        }
        if let Some(st) = filter.status {
            filters.push_str(" AND c.status = ?");
            params.push(Value::Text(st.as_str().into()));
        }
        if let Some(who) = &filter.assignee {
            filters.push_str(" AND c.assignee = ?");
            params.push(Value::Text(who.clone()));
        }
        if filter.unassigned {
            filters.push_str(" AND c.assignee IS NULL");
        }
        if let Some(public) = filter.public {
            filters.push_str(" AND c.public = ?");
            params.push(Value::Integer(public as i64));
        }
        if let Some(id) = filter.contact_id {
            filters.push_str(" AND c.contact_id = ?");
            params.push(Value::Integer(id));
        }
        if let Some(tag) = &filter.tag {
            filters.push_str(
                " AND EXISTS (SELECT 1 FROM conversation_tags x JOIN tags t ON t.id = x.tag_id
                              WHERE x.conversation_id = c.id AND t.name = ?)",
            );
            params.push(Value::Text(tag.clone()));
        }
        if let Some((at, id)) = filter.before {
            filters.push_str(" AND (c.last_message_at, c.id) < (?, ?)");
            params.push(Value::Integer(to_ms(at)));
            params.push(Value::Integer(id));
        }
        let now = jiff::Timestamp::now();
        if filter.by_breach {
            return self.inbox_by_breach(&filters, params, filter, now);
        }
        // Public conversations where a customer posted sensitive data come first: someone
        // should hide or answer them before anything else. The flagged ones and then the rest,
        // each read newest first along an index (schema 19): ordered by the flag in one query,
        // every conversation of the view was sorted for each page.
        let limit = filter.limit.max(1);
        let mut rows: Vec<InboxRow> = Vec::new();
        for (select, flagged) in [(INBOX_FLAGGED_SELECT, 1), (INBOX_SELECT, 0)] {
            if rows.len() >= limit {
                break;
            }
            let sql = format!("{select} WHERE c.sensitive = {flagged}{filters} ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?");
            let mut page_params = params.clone();
            page_params.push(Value::Integer((limit - rows.len()) as i64));
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let page = stmt.query_map(rusqlite::params_from_iter(page_params), inbox_row)?;
            rows.extend(page.collect::<rusqlite::Result<Vec<_>>>()?);
        }
        self.attach_clocks(&mut rows, now)?;
        Ok(rows)
    }

    /// `inbox` sorted by the next SLA breach: running clocks by their kept breach instant
    /// (breached first, longest over first), then the rest by newest activity.
    /// `filters`: the view's conditions on `c`, each starting with " AND".
    fn inbox_by_breach(&self, filters: &str, mut params: Vec<Value>, filter: &InboxFilter, now: jiff::Timestamp) -> Result<Vec<InboxRow>> {
        self.refresh_breaches(now)?;
        let limit = filter.limit.max(1);
        let mut due_params = params.clone();
        due_params.push(Value::Integer(limit as i64));
        // Walked in due order on the kept instants' index (only conversations not solved have
        // running clocks), the filters applied on the way.
        let due_sql = format!(
            "SELECT c.id FROM conversations c INDEXED BY conversations_sla_due
             WHERE {UNSOLVED} AND c.sla_due_at IS NOT NULL {filters}
             ORDER BY c.sla_due_at, c.id LIMIT ?"
        );
        let ids: Vec<i64> =
            self.conn.prepare_cached(&due_sql)?.query_map(rusqlite::params_from_iter(due_params), |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut rows = self.inbox_rows(&ids, now)?;
        if rows.len() < limit {
            let rest_sql = format!(
                "{INBOX_SELECT} WHERE (c.sla_due_at IS NULL OR NOT {UNSOLVED}){filters}
                 ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?"
            );
            params.push(Value::Integer((limit - rows.len()) as i64));
            let mut rest: Vec<InboxRow> =
                self.conn.prepare_cached(&rest_sql)?.query_map(rusqlite::params_from_iter(params), inbox_row)?.collect::<rusqlite::Result<_>>()?;
            self.attach_clocks(&mut rest, now)?;
            rows.extend(rest);
        }
        Ok(rows)
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
