//! Full-text search over messages and contacts.
//!
//! SQLite's unicode61 tokenizer keeps a Korean word and its particle together (`주문이`), so a
//! search for the stem `주문` would miss it. Before indexing, `terms` rewrites every run of CJK
//! characters as overlapping bigrams (`주문이` → `주문 문이`), as Lucene's CJK analyzer does;
//! a query is rewritten the same way and its bigrams searched as a phrase. Latin text passes
//! through to the porter stemmer (`Refunded` and `refund` share the stem `refund`); a word typed
//! with a trailing `*` matches as a prefix.

use crate::error::Result;
use crate::model::{AuthorKind, Channel, ConversationStatus, Direction};
use rusqlite::functions::FunctionFlags;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// Registers `sb_terms(text)`, used by the FTS triggers, and `sb_sensitive(text)` (the privacy
/// guard's detector) on a connection.
pub(crate) fn register_functions(conn: &rusqlite::Connection) -> Result<()> {
    conn.create_scalar_function(
        "sb_sensitive",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS,
        |ctx| {
            let text = ctx.get_raw(0).as_str_or_null().map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?;
            Ok(!crate::privacy::detect(text.unwrap_or("")).is_empty())
        },
    )?;
    conn.create_scalar_function(
        "sb_terms",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_INNOCUOUS,
        |ctx| {
            let text = ctx.get_raw(0).as_str_or_null().map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?;
            Ok(terms(text.unwrap_or("")))
        },
    )?;
    Ok(())
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF     // Hangul Jamo
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3130..=0x318F   // Hangul Compatibility Jamo
        | 0x3400..=0x4DBF   // CJK Extension A
        | 0x4E00..=0x9FFF   // CJK Unified Ideographs
        | 0xAC00..=0xD7AF   // Hangul Syllables
        | 0xF900..=0xFAFF   // CJK Compatibility Ideographs
    )
}

/// The text as the index sees it: NFKC, lower case, CJK runs as bigrams.
pub fn terms(text: &str) -> String {
    // Most text is plain ASCII (NFKC leaves it as it is, and it holds no CJK) or already in NFKC
    // (Hangul as typed): normalizing char by char was a twentieth of a sync's store writes.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let normalized: String = if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        text.chars().flat_map(char::to_lowercase).collect()
    } else {
        text.nfkc().flat_map(char::to_lowercase).collect()
    };
    bigrams(&normalized)
}

/// Every run of CJK characters as its overlapping pairs; the rest as it is.
fn bigrams(normalized: &str) -> String {
    let mut out = String::with_capacity(normalized.len() + 16);
    let mut run: Vec<char> = Vec::new();
    for c in normalized.chars() {
        if is_cjk(c) {
            run.push(c);
            continue;
        }
        flush_cjk(&mut run, &mut out);
        out.push(c);
    }
    flush_cjk(&mut run, &mut out);
    out
}

fn flush_cjk(run: &mut Vec<char>, out: &mut String) {
    if run.is_empty() {
        return;
    }
    out.push(' ');
    if run.len() == 1 {
        out.push(run[0]);
    } else {
        for pair in run.windows(2) {
            out.push(pair[0]);
            out.push(pair[1]);
            out.push(' ');
        }
    }
    out.push(' ');
    run.clear();
}

/// Builds an FTS5 MATCH expression from what a person typed: every word must occur; Latin words
/// match by stem (`refund` finds `Refunded`), and as a prefix when they end in `*` (`deliv*`);
/// CJK words match as a phrase of their bigrams. Returns `None` when nothing searchable is left
/// (only punctuation, say). Whatever the user typed is quoted: it is never FTS5 syntax.
pub fn match_expression(query: &str) -> Option<String> {
    let normalized: String = query.nfkc().flat_map(char::to_lowercase).collect();
    let mut parts = Vec::new();
    let mut rest = normalized.as_str();
    while let Some(start) = rest.find(|c: char| c.is_alphanumeric()) {
        rest = &rest[start..];
        let end = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let wants_prefix = after.starts_with('*');
        rest = after;
        let tokens: Vec<String> = terms(word).split_whitespace().map(str::to_owned).collect();
        let single_cjk_char = tokens.len() == 1 && tokens[0].chars().count() == 1 && tokens[0].chars().all(is_cjk);
        let phrase = format!("\"{}\"", tokens.join(" "));
        // A lone CJK character is the start of the bigrams of the words that hold it.
        if single_cjk_char || (wants_prefix && !word.chars().any(is_cjk)) {
            parts.push(format!("{phrase}*"));
        } else {
            parts.push(phrase);
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" "))
    }
}

/// How many matches a search ranks at a time (see `Store::search_page`).
pub const RANK_WINDOW: usize = 2000;

/// Where the next page of a search starts: `offset` hits into the ranked window of matches
/// older than the message `window` (none: the newest window). The UI hands back what a page gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchCursor {
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub window: Option<i64>,
    pub offset: u32,
}

/// A page of hits, best first within each window of matches, and where the next page starts
/// (none: there are no more).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub next: Option<SearchCursor>,
}

/// What to search for, and where.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub channel: Option<Channel>,
    pub contact_id: Option<i64>,
    pub status: Option<ConversationStatus>,
    pub since: Option<jiff::Timestamp>,
    pub until: Option<jiff::Timestamp>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub message_id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_id: i64,
    pub channel: Channel,
    pub customer: Option<String>,
    pub direction: Direction,
    pub author_kind: AuthorKind,
    pub author_name: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
    pub text: String,
    /// An internal note (then `message_id` is the note's id), not a message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub note: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactHit {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub uid: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}


#[cfg(test)]
mod tests {
    use super::*;

    /// What `terms` gives for any text is what NFKC, lower case and bigrams give the slow way.
    #[test]
    fn the_quick_paths_give_what_full_normalization_gives() {
        let slow = |text: &str| bigrams(&text.nfkc().flat_map(char::to_lowercase).collect::<String>());
        for text in [
            "Where is my ORDER #88123?",
            "",
            "주문이 아직 안 왔어요",
            "Refunded — café naïve",
            "ＦＵＬＬＷＩＤＴＨ ｶﾀｶﾅ ①",
            "ﬁle ligature and e\u{301} combining",
            "İstanbul ΣΊΣΥΦΟΣ",
            "注文がまだ届きません",
            "한글 mixed with English and 123",
        ] {
            assert_eq!(terms(text), slow(text), "{text:?}");
        }
    }

    #[test]
    fn korean_runs_become_bigrams_and_latin_passes_through() {
        assert_eq!(terms("주문이 아직").split_whitespace().collect::<Vec<_>>(), ["주문", "문이", "아직"]);
        assert_eq!(terms("Refunded!"), "refunded!");
        assert_eq!(terms("order 1043 배송").split_whitespace().collect::<Vec<_>>(), ["order", "1043", "배송"]);
        assert_eq!(terms("안").trim(), "안");
    }

    #[test]
    fn decomposed_hangul_is_composed_first() {
        // macOS writes Hangul as separate jamo (NFD); the index must see the syllables.
        let nfd: String = "주문".nfd().collect();
        assert_eq!(terms(&nfd).trim(), "주문");
    }

    #[test]
    fn queries_escape_fts_syntax() {
        assert_eq!(match_expression("refund").unwrap(), "\"refund\"");
        assert_eq!(match_expression("deliv* x").unwrap(), "\"deliv\"* \"x\"");
        assert_eq!(match_expression("주문이").unwrap(), "\"주문 문이\"");
        assert_eq!(match_expression("주").unwrap(), "\"주\"*");
        assert_eq!(match_expression("a\" OR b NEAR(").unwrap(), "\"a\" \"or\" \"b\" \"near\"");
        assert_eq!(match_expression("  ?! "), None);
    }
}
