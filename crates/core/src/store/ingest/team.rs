//! The team's records (team mode): teammates, who has a conversation, and what an agent changed
//! on one. Each writes only what differs, like every record.

use super::upsert::Upserter;
use crate::error::{Error, Result};
use crate::interchange::{AssignmentRecord, AutoAssignmentRecord, ConversationChangeRecord, PersonRecord, ReplyRecord};
use crate::model::time::now_ms;
use rusqlite::params;

impl Upserter<'_> {
    pub(super) fn person(&mut self, r: &PersonRecord) -> Result<()> {
        if r.name.trim().is_empty() {
            return Err(Error::invalid("a teammate's name is empty"));
        }
        self.tx
            .prepare_cached(
                "INSERT INTO team_people (id, name, role, removed) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, removed = excluded.removed
                 WHERE (name, role, removed) IS NOT (excluded.name, excluded.role, excluded.removed)",
            )?
            .execute(params![r.id, r.name, r.role.as_str(), r.removed])?;
        Ok(())
    }

    pub(super) fn assignment(&mut self, r: &AssignmentRecord) -> Result<()> {
        let (id, _) = self.ensure_conversation(&r.account, &r.conversation, now_ms(), false, None)?;
        let changed = self.tx.prepare_cached("UPDATE conversations SET assignee = ?2 WHERE id = ?1 AND assignee IS NOT ?2")?.execute(params![id, r.assignee])?;
        if changed > 0 {
            self.touched.insert(id);
        }
        Ok(())
    }

    pub(super) fn conversation_change(&mut self, r: &ConversationChangeRecord) -> Result<()> {
        let (id, _) = self.ensure_conversation(&r.account, &r.conversation, now_ms(), false, None)?;
        let before = self.tx.total_changes();
        if let Some(status) = r.status {
            self.tx.prepare_cached("UPDATE conversations SET status = ?2 WHERE id = ?1 AND status IS NOT ?2")?.execute(params![id, status])?;
            // Set after the batch's customer messages: the batch's end must not reopen it.
            self.settled.insert(id);
        }
        if let Some(priority) = r.priority {
            self.tx.prepare_cached("UPDATE conversations SET priority = ?2 WHERE id = ?1 AND priority IS NOT ?2")?.execute(params![id, priority])?;
        }
        if let Some(tags) = &r.tags {
            self.set_tags("conversation_tags", "conversation_id", id, tags)?;
        }
        if self.tx.total_changes() != before {
            self.touched.insert(id);
        }
        Ok(())
    }

    pub(super) fn reply(&mut self, r: &ReplyRecord) -> Result<()> {
        let (id, _) = self.ensure_conversation(&r.account, &r.conversation, now_ms(), false, None)?;
        let (account, _) = self.account(&r.account)?;
        crate::store::outbox::apply_record(self.tx, account, id, r)?;
        self.touched.insert(id);
        Ok(())
    }

    pub(super) fn auto_assignment(&mut self, r: &AutoAssignmentRecord) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value")?
            .execute(params![crate::store::AUTO_ASSIGNMENT_SETTING, serde_json::to_string(r).expect("records serialise")])?;
        Ok(())
    }
}
