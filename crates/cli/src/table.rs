//! Human-readable output: aligned columns that respect wide (Korean) characters, and customer
//! text made printable before it reaches the terminal.

use switchboard_core::model::{printable, InboxRow};
use switchboard_core::search::{ContactHit, SearchHit};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` cut or padded to exactly `width` terminal columns.
fn cell(text: &str, width: usize) -> String {
    let flat: String = printable(text).split_whitespace().collect::<Vec<_>>().join(" ");
    let fits = UnicodeWidthStr::width(flat.as_str()) <= width;
    let mut out = String::new();
    let mut used = 0;
    for c in flat.chars() {
        let w = c.width().unwrap_or(0);
        if !fits && used + w > width.saturating_sub(1) {
            out.push('…');
            used += 1;
            break;
        }
        out.push(c);
        used += w;
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

fn ago(since: jiff::Timestamp, now: jiff::Timestamp) -> String {
    let secs = (now.as_second() - since.as_second()).max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

pub fn inbox(rows: &[InboxRow], now: jiff::Timestamp) {
    println!(
        "{} {} {} {} {} {}   PREVIEW",
        cell("ID", 7),
        cell("CHANNEL", 10),
        cell("CUSTOMER", 20),
        cell("STATUS", 8),
        cell("PRIORITY", 8),
        cell("WAITING", 7),
    );
    for r in rows {
        let unread = if r.unread > 0 { "●" } else { " " };
        println!(
            "{} {} {} {} {} {} {unread} {}",
            cell(&r.id.to_string(), 7),
            cell(r.channel.as_str(), 10),
            cell(r.customer.as_deref().unwrap_or("—"), 20),
            cell(r.status.as_str(), 8),
            cell(r.priority.as_str(), 8),
            cell(&r.waiting_since.map(|t| ago(t, now)).unwrap_or_else(|| "—".into()), 7),
            cell(r.preview.as_deref().unwrap_or(""), 60).trim_end()
        );
    }
    if rows.is_empty() {
        println!("(no conversations)");
    }
}

pub fn hits(hits: &[SearchHit]) {
    for h in hits {
        println!(
            "#{:<6} {} {} {}: {}",
            h.conversation_id,
            h.at.strftime("%Y-%m-%d %H:%M"),
            cell(h.channel.as_str(), 9),
            cell(h.author_name.as_deref().or(h.customer.as_deref()).unwrap_or(h.author_kind.as_str()), 16),
            cell(&h.text, 80).trim_end()
        );
    }
    if hits.is_empty() {
        println!("(no matches)");
    }
}

pub fn contacts(hits: &[ContactHit]) {
    for h in hits {
        println!(
            "{} {} {} {}",
            cell(&h.id.to_string(), 7),
            cell(&h.name, 24),
            cell(h.email.as_deref().unwrap_or("—"), 28),
            cell(h.phone.as_deref().unwrap_or("—"), 16).trim_end()
        );
    }
    if hits.is_empty() {
        println!("(no matches)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_align_wide_characters_and_truncate() {
        assert_eq!(UnicodeWidthStr::width(cell("김민지", 10).as_str()), 10);
        assert_eq!(cell("abcdefghijkl", 6), "abcde…");
        assert_eq!(cell("ab", 4), "ab  ");
        assert!(!cell("evil\x1b]0;pwned\x07", 30).contains('\x1b'));
    }
}
