//! The one write path: records in, through the upserter, in transactions that carry each
//! account's cursor with the records it covers. The sync, imports and every other writer of
//! records come through here.
//!
//! Modules: `upsert` (the upserter and its bookkeeping), `settings`, `people`, `messages` and
//! `team` (the records), `refresh` (a conversation's derived fields), `import`, `writer`.

mod import;
mod messages;
mod people;
mod refresh;
mod settings;
mod team;
mod upsert;
pub(crate) mod writer;

pub(crate) use refresh::refresh_conversation;
pub use import::ImportProgress;
pub use writer::Batch;
pub(crate) use upsert::Upserter;

use super::util::upsert_sql;
use crate::model::time::now_ms;
use super::Store;
use crate::error::Result;
use crate::interchange::Record;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Each connection's page cache, in KiB.
pub(crate) const NORMAL_CACHE_KIB: u32 = 32 << 10;

/// The page cache of a writer catching up, in KiB: see `set_catching_up`.
const CATCHING_UP_CACHE_KIB: u32 = 256 << 10;

/// What a pulled batch did to the store: for the events that tell the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Records that changed something.
    pub changed: usize,
    /// Messages the store did not have before.
    pub new_messages: Vec<i64>,
    /// Conversations that gained or changed a message.
    pub conversations: Vec<i64>,
    /// Notes the store did not have (a teammate's, in a team).
    pub new_notes: Vec<i64>,
}
/// One account's pulled batch and the cursor that follows it. A batch may come in parts: all but
/// the last have no cursor. A part stored without the rest is harmless, since the cursor does not
/// move: the next pull reads it again and writing it again changes nothing.
#[derive(Clone, Copy)]
pub struct CursorBatch<'a> {
    pub records: &'a [Record],
    pub account_id: i64,
    pub stream: &'a str,
    pub cursor: Option<&'a str>,
}

/// Writes `records` in `tx`, all or nothing, and returns how many changed the store.
pub(crate) fn all_or_nothing(tx: &Transaction<'_>, records: &[Record]) -> Result<usize> {
    let mut writer = Upserter::live(tx);
    let changed = writer.apply_all(records)?;
    writer.finish()?;
    Ok(changed)
}

impl Store {
    /// Writes `records` in one transaction; any bad record fails the whole batch. For writers
    /// that produce records themselves (sync, benchmarks); files go through `import_jsonl`.
    pub fn write_batch(&mut self, records: &[crate::interchange::Record]) -> Result<usize> {
        self.transaction(|tx| all_or_nothing(tx, records))
    }

    /// Where the sync of `stream` (a connector's name for one feed of the account) stopped.
    pub fn cursor(&self, account_id: i64, stream: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT cursor FROM sync_cursors WHERE account_id = ?1 AND stream = ?2")?
            .query_row(params![account_id, stream], |r| r.get(0))
            .optional()?)
    }

    /// Writes a pulled batch and the cursor after it in one transaction: after a crash the sync
    /// resumes exactly where the stored messages end, so nothing is lost and replays are upserts.
    pub fn write_batch_with_cursor(
        &mut self,
        records: &[Record],
        account_id: i64,
        stream: &str,
        cursor: &str,
    ) -> Result<usize> {
        Ok(self.write_batches_with_cursors(&[CursorBatch { records, account_id, stream, cursor: Some(cursor) }])?[0].changed)
    }

    /// Writes several pulled batches, each with its cursor, in one transaction, all or nothing:
    /// they share one commit and one search-index flush, which is most of what a batch costs.
    /// Returns what each wrote. If one fails, none is stored; write them one by one to find which.
    pub fn write_batches_with_cursors(&mut self, batches: &[CursorBatch<'_>]) -> Result<Vec<Written>> {
        let mut rest = batches.iter();
        let mut taken = Vec::new();
        self.write_batches_as_they_come(&mut taken, || rest.next().copied(), |b| *b)
    }

    /// `write_batches_with_cursors` for batches that arrive while the transaction is open: `next`
    /// hands over the next one, or `None` to commit. Taken batches end up in `taken` whatever
    /// happens.
    pub fn write_batches_as_they_come<J>(
        &mut self,
        taken: &mut Vec<J>,
        mut next: impl FnMut() -> Option<J>,
        batch: impl for<'j> Fn(&'j J) -> CursorBatch<'j>,
    ) -> Result<Vec<Written>> {
        self.transaction(|tx| {
            // No savepoint per batch: a failure is rare (connectors skip what they cannot read)
            // and savepoints cost a tenth of the writing.
            let mut writer = Upserter::live(tx);
            let mut changed = Vec::new();
            let mut cursor = tx.prepare_cached(&upsert_sql("sync_cursors", &["account_id", "stream"], &["cursor", "updated_at"], &[]))?;
            while let Some(job) = next() {
                taken.push(job);
                let b = batch(taken.last().expect("just pushed"));
                changed.push(writer.apply_noting(b.records)?);
                if let Some(position) = b.cursor {
                    cursor.execute(params![b.account_id, b.stream, position, now_ms()])?;
                }
            }
            drop(cursor);
            writer.finish()?;
            Ok(changed)
        })
    }

    /// Gives this connection a page cache of 256 MiB while it writes a backlog (an initial
    /// sync, a long reconnect), and the normal 32 MiB once it has caught up, when SQLite frees the
    /// pages beyond that (to the allocator, which keeps them for reuse). A large sync inserts at random places in every index, and once those
    /// outgrow the cache each insert reads (decrypts) a page and the transaction spills pages it
    /// will change again (1.1M messages: 60.3 s → 53.1 s, for 250 MB more while it lasts).
    pub fn set_catching_up(&mut self, catching_up: bool) -> Result<()> {
        let kib = if catching_up { CATCHING_UP_CACHE_KIB } else { NORMAL_CACHE_KIB };
        self.conn.execute_batch(&format!("PRAGMA cache_size = -{kib};"))?;
        Ok(())
    }
}

/// Adds new messages to the search index, after the batch's other writes (see migration 2 for
/// why), in one statement: FTS5 flushes at every statement savepoint, so row by row would be a
/// flush per row.
pub(crate) fn index_messages(conn: &Connection, messages: &[i64]) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO message_fts(rowid, terms, channel)
         SELECT m.id, sb_terms(m.body), c.channel FROM json_each(?1) j
         JOIN messages m ON m.id = j.value JOIN conversations c ON c.id = m.conversation_id",
    )?
    .execute([serde_json::to_string(messages).expect("json")])?;
    Ok(())
}

/// (Re)indexes contacts' names, emails and phones, after the batch's other writes.
pub(crate) fn index_contacts(conn: &Connection, contacts: &[i64]) -> Result<()> {
    if contacts.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(contacts).expect("json");
    conn.prepare_cached("DELETE FROM contact_fts WHERE rowid IN (SELECT value FROM json_each(?1))")?.execute([&ids])?;
    conn.prepare_cached(
        "INSERT INTO contact_fts(rowid, terms)
         SELECT c.id, sb_terms(concat_ws(' ', c.name, c.email, c.phone)) FROM json_each(?1) j JOIN contacts c ON c.id = j.value",
    )?
    .execute([&ids])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn cache_kib(store: &Store) -> i64 {
        -store.conn.query_row("PRAGMA cache_size", [], |r| r.get::<_, i64>(0)).unwrap()
    }

    #[test]
    fn a_writer_catching_up_takes_the_larger_cache_and_gives_it_back() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(cache_kib(&store), NORMAL_CACHE_KIB as i64);
        store.set_catching_up(true).unwrap();
        assert_eq!(cache_kib(&store), CATCHING_UP_CACHE_KIB as i64);
        store.set_catching_up(false).unwrap();
        assert_eq!(cache_kib(&store), NORMAL_CACHE_KIB as i64);
    }
}
