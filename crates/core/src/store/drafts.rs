//! An agent's draft per conversation: what the composer held when the agent looked away, kept
//! until the reply is queued.

use super::Store;
use crate::error::{Error, Result};
use crate::model::time::now_ms;
use rusqlite::{params, OptionalExtension};

/// A draft longer than this is refused: nobody types it, and the store is not a file store.
pub const DRAFT_LIMIT: usize = 100_000;

impl Store {
    /// The conversation's draft, if the agent left one.
    pub fn draft(&self, conversation: i64) -> Result<Option<String>> {
        Ok(self.conn.prepare_cached("SELECT body FROM drafts WHERE conversation_id = ?1")?.query_row([conversation], |r| r.get(0)).optional()?)
    }

    /// Keeps `text` as the conversation's draft; blank text forgets it. Returns whether that
    /// changed whether the conversation has a draft (its inbox row shows it).
    pub fn save_draft(&mut self, conversation: i64, text: &str) -> Result<bool> {
        if text.chars().count() > DRAFT_LIMIT {
            return Err(Error::invalid(format!("a draft holds at most {DRAFT_LIMIT} characters")));
        }
        let had = self.draft(conversation)?.is_some();
        if text.trim().is_empty() {
            self.conn.prepare_cached("DELETE FROM drafts WHERE conversation_id = ?1")?.execute([conversation])?;
            return Ok(had);
        }
        let exists = self.conn.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?.exists([conversation])?;
        if !exists {
            return Err(Error::Missing { what: "conversation", id: conversation.to_string() });
        }
        self.conn
            .prepare_cached(
                "INSERT INTO drafts (conversation_id, body, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (conversation_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            )?
            .execute(params![conversation, text, now_ms()])?;
        Ok(!had)
    }
}
