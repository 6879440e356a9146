//! What an agent on a desk in a team does to a conversation (team mode): applied to the desk's
//! store at once, and in the same transaction queued for the team's hub, which the sync engine
//! sends it to in order (also after a restart or a time offline). The log then says what the team
//! agreed: an assignment someone else won is put right here as soon as the hub answers.

use super::Store;
use crate::error::Result;
use crate::model::time::now_ms;
use crate::team::Action;
use rusqlite::{params, Connection};

/// An action waiting for the hub.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedAction {
    pub id: i64,
    pub key: String,
    pub conversation_id: i64,
    pub action: Action,
}

/// Whether this desk is in a team (it follows a hub).
pub(super) fn in_team(conn: &Connection) -> Result<bool> {
    Ok(conn.prepare_cached("SELECT 1 FROM accounts WHERE channel = 'hub'")?.exists([])?)
}

/// Queues `action` on `conversation` for the hub when this desk is in a team, under `key` (one of
/// its own when none is given).
pub(super) fn queue(conn: &Connection, conversation: i64, action: &Action, key: Option<&str>) -> Result<()> {
    if !in_team(conn)? {
        return Ok(());
    }
    let key = key.map(str::to_owned).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    conn.prepare_cached("INSERT INTO team_actions (key, conversation_id, action, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO NOTHING")?
        .execute(params![key, conversation, serde_json::to_string(action).expect("actions serialise"), now_ms()])?;
    Ok(())
}

/// Where the team's auto-assignment setting is kept (from the log).
pub const AUTO_ASSIGNMENT_SETTING: &str = "team_auto_assignment";

impl Store {
    /// The team's auto-assignment, as the log last said (off when it never did).
    pub fn auto_assignment(&self) -> Result<crate::interchange::AutoAssignmentRecord> {
        self.setting(AUTO_ASSIGNMENT_SETTING)
    }

    /// Open, unassigned conversations waiting for an answer, longest waiting first, as the team
    /// names them: (account, conversation).
    pub fn waiting_unassigned(&self, limit: usize) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.key, c.external_id FROM conversations c JOIN accounts a ON a.id = c.account_id
             WHERE c.status = 'open' AND c.assignee IS NULL AND c.waiting_since IS NOT NULL AND c.public = 0
             ORDER BY c.waiting_since, c.id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many open conversations each assignee has.
    pub fn open_by_assignee(&self) -> Result<std::collections::HashMap<String, u32>> {
        let mut stmt = self.conn.prepare_cached("SELECT assignee, count(*) FROM conversations WHERE status = 'open' AND assignee IS NOT NULL GROUP BY assignee")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Who this desk's person is in its team (the name the hub knows them by), if it is in one.
    pub fn team_person(&self) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self.conn.prepare_cached("SELECT name FROM accounts WHERE channel = 'hub' ORDER BY id LIMIT 1")?.query_row([], |r| r.get(0)).optional()?)
    }

    /// Of these notes (new from the team's log), those that mention this desk's person and are
    /// someone else's: what to tell them about.
    pub fn mentions_of_me(&self, notes: &[i64]) -> Result<Vec<crate::model::NoteView>> {
        let Some(me) = self.team_person()? else { return Ok(Vec::new()) };
        let mut stmt = self.conn.prepare_cached("SELECT id, conversation_id, author, body, created_at FROM notes WHERE id = ?1")?;
        let mut found = Vec::new();
        for id in notes {
            use rusqlite::OptionalExtension;
            if let Some(note) = stmt.query_row([id], super::customers::note_view).optional()? {
                if note.author.as_deref() != Some(me.as_str()) && crate::team::mentions(&note.text, &me) {
                    found.push(note);
                }
            }
        }
        Ok(found)
    }

    /// The actions waiting for the hub, oldest first (an unreadable one, which only a newer
    /// version could have written, is left for it).
    pub fn team_actions(&self, limit: usize) -> Result<Vec<QueuedAction>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, key, conversation_id, action FROM team_actions ORDER BY id LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?)))?;
        let mut actions = Vec::new();
        for row in rows {
            let (id, key, conversation_id, json) = row?;
            match serde_json::from_str(&json) {
                Ok(action) => actions.push(QueuedAction { id, key, conversation_id, action }),
                Err(e) => tracing::warn!(action = id, problem = %crate::error::describe_json(&e), "an action for the hub does not read"),
            }
        }
        Ok(actions)
    }

    /// The hub took the action (or refused it for good): it no longer waits.
    pub fn team_action_done(&mut self, id: i64) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM team_actions WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    /// The hub found the conversation with `holder` (none: nobody), not with whom this desk saw:
    /// the desk shows who has it, and the action no longer waits.
    pub fn team_assignment_taken(&mut self, id: i64, conversation: i64, holder: Option<&str>) -> Result<()> {
        self.transaction(|tx| {
            tx.prepare_cached("UPDATE conversations SET assignee = ?2 WHERE id = ?1 AND assignee IS NOT ?2")?.execute(params![conversation, holder])?;
            tx.prepare_cached("DELETE FROM team_actions WHERE id = ?1")?.execute([id])?;
            Ok(())
        })
    }
}
