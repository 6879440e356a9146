//! Full-text queries over the search index: messages and contacts (see `crate::search` for how
//! text becomes terms).

use super::Store;
use crate::error::{Error, Result};
use crate::model::time::{from_ms, to_ms};
use crate::search::{match_expression, ContactHit, SearchCursor, SearchHit, SearchPage, SearchQuery, RANK_WINDOW};
use rusqlite::types::Value;

impl Store {
    /// The first page of messages matching `q` (see `search_page`).
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        Ok(self.search_page(q, None)?.hits)
    }

    /// A page of at most `q.limit` messages matching `q`, after `after`: the best matches
    /// (bm25, then newest) among the newest `RANK_WINDOW` matches that pass the filters, then
    /// the best of the `RANK_WINDOW` before those, and so on back to the first.
    ///
    /// Ranking every match of a common word ("order" is in half of all messages) costs time in
    /// proportion to the store; a window keeps each page fast at any size, and for all but the
    /// commonest words the first window holds every match. FTS5 walks its index newest-first
    /// (rowid order follows arrival), so a window costs no sort. A customer filter is driven
    /// from that customer's own messages instead, which are few.
    pub fn search_page(&self, q: &SearchQuery, after: Option<&SearchCursor>) -> Result<SearchPage> {
        let Some(expr) = match_expression(&q.text) else {
            return Err(Error::invalid("the search has no words to look for"));
        };
        let limit = q.limit.max(1);
        let mut cursor = after.copied().unwrap_or(SearchCursor { window: None, offset: 0 });
        let mut hits = Vec::new();
        loop {
            let want = limit - hits.len();
            // One more than wanted: whether this window holds more after the page.
            let mut got = self.ranked(q, &expr, cursor, want + 1)?;
            if got.len() > want {
                got.truncate(want);
                hits.extend(got);
                cursor.offset += want as u32;
                return Ok(SearchPage { hits, next: Some(cursor) });
            }
            hits.extend(got);
            // This window is spent: the next begins before its oldest match, if it was full.
            match self.window_end(q, &expr, cursor.window)? {
                Some(oldest) => cursor = SearchCursor { window: Some(oldest), offset: 0 },
                None => return Ok(SearchPage { hits, next: None }),
            }
            if hits.len() == limit {
                return Ok(SearchPage { hits, next: Some(cursor) });
            }
        }
    }

    /// The window's matches (the ids of the `RANK_WINDOW` newest matches older than
    /// `window`, as SQL), and its parameters after the match expression.
    fn window_sql(&self, q: &SearchQuery, expr: &str, window: Option<i64>) -> (String, Vec<Value>) {
        // The words are looked for in the text column only; the channel is a second column.
        let expr = match q.channel {
            Some(ch) => format!("terms : ({expr}) AND channel : \"{}\"", ch.as_str()),
            None => format!("terms : ({expr})"),
        };
        let mut filters = String::new();
        let mut params: Vec<Value> = vec![Value::Text(expr), Value::Integer(window.unwrap_or(i64::MAX))];
        if let Some(st) = q.status {
            filters.push_str(" AND c.status = ?");
            params.push(Value::Text(st.as_str().into()));
        }
        if let Some(t) = q.since {
            filters.push_str(" AND m.sent_at >= ?");
            params.push(Value::Integer(to_ms(t)));
        }
        if let Some(t) = q.until {
            filters.push_str(" AND m.sent_at < ?");
            params.push(Value::Integer(to_ms(t)));
        }
        // CROSS JOIN fixes the loop order: from the FTS index outwards, or (for one customer)
        // from the customer's conversations inwards.
        let sql = match q.contact_id {
            // Every row looked up costs a page decryption: join only for a filter that needs it.
            None if filters.is_empty() => format!(
                "SELECT f.rowid AS id, bm25(message_fts, 1.0, 0.0) AS score FROM message_fts f
                 WHERE message_fts MATCH ?1 AND f.rowid < ?2 ORDER BY f.rowid DESC LIMIT {RANK_WINDOW}"
            ),
            // The narrow indexes of schema 3 answer the filters from the page cache.
            None => format!(
                "SELECT f.rowid AS id, bm25(message_fts, 1.0, 0.0) AS score
                 FROM message_fts f
                 CROSS JOIN messages m INDEXED BY messages_search_filter ON m.id = f.rowid
                 CROSS JOIN conversations c INDEXED BY conversations_search_filter ON c.id = m.conversation_id
                 WHERE message_fts MATCH ?1 AND f.rowid < ?2{filters}
                 ORDER BY f.rowid DESC LIMIT {RANK_WINDOW}"
            ),
            Some(contact) => {
                params.push(Value::Integer(contact));
                format!(
                    "SELECT f.rowid AS id, bm25(message_fts, 1.0, 0.0) AS score
                     FROM conversations c CROSS JOIN messages m ON m.conversation_id = c.id
                     CROSS JOIN message_fts f ON f.rowid = m.id
                     WHERE message_fts MATCH ?1 AND f.rowid < ?2{filters} AND c.contact_id = ?
                     ORDER BY f.rowid DESC LIMIT {RANK_WINDOW}"
                )
            }
        };
        (sql, params)
    }

    /// `limit` hits of the window at `cursor`, from its offset on, best first.
    fn ranked(&self, q: &SearchQuery, expr: &str, cursor: SearchCursor, limit: usize) -> Result<Vec<SearchHit>> {
        let (matches, mut params) = self.window_sql(q, expr, cursor.window);
        params.push(Value::Integer(limit as i64));
        params.push(Value::Integer(i64::from(cursor.offset)));
        // The page is chosen before anything is joined; ties go to the newer message (ids follow
        // arrival).
        let sql = format!(
            "WITH matches AS ({matches}),
                  best AS (SELECT id, score FROM matches ORDER BY score, id DESC LIMIT ? OFFSET ?)
             SELECT m.id, m.conversation_id, c.channel, ct.name, m.direction, m.author_kind, m.author_name,
                    m.sent_at, m.body
             FROM best x
             JOIN messages m ON m.id = x.id
             JOIN conversations c ON c.id = m.conversation_id
             LEFT JOIN contacts ct ON ct.id = c.contact_id
             ORDER BY x.score, x.id DESC"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok(SearchHit {
                message_id: r.get(0)?,
                conversation_id: r.get(1)?,
                channel: r.get(2)?,
                customer: r.get(3)?,
                direction: r.get(4)?,
                author_kind: r.get(5)?,
                author_name: r.get(6)?,
                at: from_ms(r.get(7)?),
                text: crate::privacy::mask(&r.get::<_, String>(8)?).into_owned(),
                note: false,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The oldest match of a full window (where the next window starts); `None` when the
    /// window is not full, so no match is older.
    fn window_end(&self, q: &SearchQuery, expr: &str, window: Option<i64>) -> Result<Option<i64>> {
        let (matches, params) = self.window_sql(q, expr, window);
        let (count, oldest): (i64, Option<i64>) = self
            .conn
            .prepare_cached(&format!("SELECT count(*), min(id) FROM ({matches})"))?
            .query_row(rusqlite::params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(oldest.filter(|_| count as usize == RANK_WINDOW))
    }

    /// Contacts whose name, email or phone match `text`.
    pub fn search_contacts(&self, text: &str, limit: usize) -> Result<Vec<ContactHit>> {
        let Some(expr) = match_expression(text) else {
            return Err(Error::invalid("the search has no words to look for"));
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.uid, c.name, c.email, c.phone FROM contact_fts f JOIN contacts c ON c.id = f.rowid
             WHERE contact_fts MATCH ?1 ORDER BY bm25(contact_fts), c.name LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![expr, limit.max(1) as i64], |r| {
            Ok(ContactHit { id: r.get(0)?, uid: r.get(1)?, name: r.get(2)?, email: r.get(3)?, phone: r.get(4)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
