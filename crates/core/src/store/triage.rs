//! What an agent does to a conversation (its status, who has it, its priority, reading it), and
//! the app's settings.

use super::{team_actions, Store};
use crate::team::Action;
use crate::error::{Error, Result};
use crate::model::{ConversationStatus, Priority};
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Runs `sql` (which changes the conversation only where it differs) and, on a desk in a team,
    /// queues `action` for the hub when something changed, all in one transaction.
    fn update_conversation(&mut self, id: i64, sql: &str, value: &dyn rusqlite::ToSql, action: Option<Action>) -> Result<()> {
        self.transaction(|tx| {
            let changed = tx.execute(sql, params![id, value])?;
            if changed == 0 && !tx.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?.exists([id])? {
                return Err(Error::Missing { what: "conversation", id: id.to_string() });
            }
            if let (true, Some(action)) = (changed > 0, action) {
                team_actions::queue(tx, id, &action, None)?;
            }
            Ok(())
        })
    }

    fn conversation_exists(&self, id: i64) -> Result<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?.exists([id])?)
    }

    pub fn set_status(&mut self, id: i64, status: ConversationStatus) -> Result<()> {
        self.update_conversation(id, "UPDATE conversations SET status = ?2 WHERE id = ?1 AND status IS NOT ?2", &status, Some(Action::Status { status }))
    }

    pub fn set_priority(&mut self, id: i64, priority: Priority) -> Result<()> {
        self.update_conversation(id, "UPDATE conversations SET priority = ?2 WHERE id = ?1 AND priority IS NOT ?2", &priority, Some(Action::Priority { priority }))
    }

    /// `None` leaves the conversation unassigned. In a team the hub hands it on only from the
    /// assignee this desk saw (compare-and-set).
    pub fn assign(&mut self, id: i64, assignee: Option<&str>) -> Result<()> {
        let assignee = assignee.map(str::trim).filter(|a| !a.is_empty());
        let expected: Option<String> =
            self.conn.prepare_cached("SELECT assignee FROM conversations WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?.flatten();
        let action = Action::Assign { expected, to: assignee.map(str::to_owned) };
        self.update_conversation(id, "UPDATE conversations SET assignee = ?2 WHERE id = ?1 AND assignee IS NOT ?2", &assignee, Some(action))
    }

    /// Makes the conversation's tags exactly `tags` (new names become tags).
    pub fn set_conversation_tags(&mut self, id: i64, tags: &[String]) -> Result<()> {
        if !self.conversation_exists(id)? {
            return Err(Error::Missing { what: "conversation", id: id.to_string() });
        }
        self.transaction(|tx| {
            super::ingest::Upserter::live(tx).set_tags("conversation_tags", "conversation_id", id, tags)?;
            let tags = tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
            team_actions::queue(tx, id, &Action::Tags { tags }, None)
        })
    }

    /// A setting's value, or the default when it was never set (or no longer reads).
    pub fn setting<T: serde::de::DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        let value: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        Ok(value.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default())
    }

    pub fn set_setting<T: serde::Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        let json = serde_json::to_string(value).map_err(|e| Error::invalid(format!("setting {key}: {e}")))?;
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, json],
        )?;
        Ok(())
    }

    pub fn mark_read(&mut self, id: i64) -> Result<()> {
        self.update_conversation(id, "UPDATE conversations SET unread = 0 WHERE id = ?1 AND unread IS NOT ?2", &0, None)
    }
}
