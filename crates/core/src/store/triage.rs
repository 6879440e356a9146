//! What an agent does to a conversation: its status, who has it, its priority, and reading it.

use super::Store;
use crate::error::{Error, Result};
use crate::model::{ConversationStatus, Priority};
use rusqlite::params;

impl Store {
    fn update_conversation(&mut self, id: i64, sql: &str, value: &dyn rusqlite::ToSql) -> Result<()> {
        let changed = self.conn.execute(sql, params![id, value])?;
        if changed == 0 && !self.conversation_exists(id)? {
            return Err(Error::Missing { what: "conversation", id: id.to_string() });
        }
        Ok(())
    }

    fn conversation_exists(&self, id: i64) -> Result<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?.exists([id])?)
    }

    pub fn set_status(&mut self, id: i64, status: ConversationStatus) -> Result<()> {
        self.update_conversation(id, "UPDATE conversations SET status = ?2 WHERE id = ?1 AND status IS NOT ?2", &status)
    }

    pub fn set_priority(&mut self, id: i64, priority: Priority) -> Result<()> {
        self.update_conversation(id, "UPDATE conversations SET priority = ?2 WHERE id = ?1 AND priority IS NOT ?2", &priority)
    }

    /// `None` leaves the conversation unassigned.
    pub fn assign(&mut self, id: i64, assignee: Option<&str>) -> Result<()> {
        let assignee = assignee.map(str::trim).filter(|a| !a.is_empty());
        self.update_conversation(id, "UPDATE conversations SET assignee = ?2 WHERE id = ?1 AND assignee IS NOT ?2", &assignee)
    }

    pub fn mark_read(&mut self, id: i64) -> Result<()> {
        self.update_conversation(id, "UPDATE conversations SET unread = 0 WHERE id = ?1 AND unread IS NOT ?2", &0)
    }
}
