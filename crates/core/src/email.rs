//! Email as the store keeps it: MIME parsed with mail-parser, HTML made harmless with ammonia,
//! quoted history and signatures marked for folding, and the keys that thread a message.
//!
//! Everything here treats the message as hostile: a message that cannot be read is kept raw with
//! a warning, never dropped, and its HTML never reaches the UI unsanitised.

use crate::interchange::{AttachmentRecord, EmailRecord, Fold, FoldKind};
use crate::model::AttachmentKind;
use base64::Engine as _;
use mail_parser::{MessageParser, MimeHeaders};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The longest text body kept for display and search; the raw message keeps everything.
const TEXT_LIMIT: usize = 256 * 1024;

/// A message as read from its raw bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEmail {
    /// Sender's display name and address (lower-cased), when the From header has one.
    pub from: Option<(Option<String>, String)>,
    /// When the sender dated it, if the Date header is readable.
    pub at: Option<jiff::Timestamp>,
    /// The plain-text body (from the HTML when there is no text part).
    pub text: String,
    pub attachments: Vec<AttachmentRecord>,
    pub email: EmailRecord,
}

/// Reads a raw RFC 5322 message. Never fails: what cannot be read is said in `email.warning`,
/// and the raw bytes are always kept.
pub fn parse(raw: &[u8]) -> ParsedEmail {
    let raw_b64 = Some(base64::engine::general_purpose::STANDARD.encode(raw));
    let Some(message) = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
    else {
        let text = cut(String::from_utf8_lossy(raw).into_owned());
        return ParsedEmail {
            from: None,
            at: None,
            text,
            attachments: vec![],
            email: EmailRecord {
                warning: Some("not a readable MIME message; kept as received".into()),
                raw: raw_b64,
                ..Default::default()
            },
        }
        .finish();
    };
    let mut warnings = Vec::new();
    let from = message.from().and_then(|a| a.first()).and_then(|a| {
        let address = a.address()?.trim().to_lowercase();
        address.contains('@').then(|| {
            (
                a.name().map(str::to_owned).filter(|n| !n.trim().is_empty()),
                address,
            )
        })
    });
    if from.is_none() {
        warnings.push("no readable sender address");
    }
    let at = message
        .date()
        .and_then(|d| jiff::Timestamp::from_second(d.to_timestamp()).ok());
    let html_source = message.body_html(0).map(|h| h.into_owned());
    // With only an HTML part, mail-parser gives its text: for reading and search.
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let (html, remote_images_blocked) = match &html_source {
        Some(h) => {
            let (clean, blocked) = sanitise_html(h);
            (Some(clean), blocked > 0)
        }
        None => (None, false),
    };
    if cut_short(&message) {
        warnings.push("the multipart body is cut short (a closing boundary is missing)");
    }
    let attachments = message
        .attachments()
        .map(|part| {
            let mime = part.content_type().map(|ct| {
                format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")).to_lowercase()
            });
            let kind = match mime.as_deref().and_then(|m| m.split('/').next()) {
                Some("image") => AttachmentKind::Image,
                Some("video") => AttachmentKind::Video,
                Some("audio") => AttachmentKind::Audio,
                _ => AttachmentKind::File,
            };
            let inline = part.content_disposition().is_some_and(|d| d.is_inline())
                || (part.content_disposition().is_none() && part.content_id().is_some());
            // An inline part is named by its Content-ID, which the HTML refers to as cid:…
            let url = part
                .content_id()
                .filter(|_| inline)
                .map(|id| format!("cid:{}", id.trim_matches(['<', '>'])));
            AttachmentRecord {
                kind,
                name: part.attachment_name().map(str::to_owned),
                mime,
                url,
                size: Some(part.len() as i64),
                file_id: None,
            }
        })
        .collect();
    let list = |v: &mail_parser::HeaderValue<'_>| -> Vec<String> {
        match v {
            mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
            mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
            _ => vec![],
        }
    };
    ParsedEmail {
        from,
        at,
        text: cut(text),
        attachments,
        email: EmailRecord {
            message_id: message
                .message_id()
                .map(str::to_owned)
                .filter(|id| !id.is_empty()),
            in_reply_to: list(message.in_reply_to()),
            references: list(message.references()),
            subject: message.subject().map(str::to_owned),
            html,
            remote_images_blocked,
            folds: vec![],
            warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
            raw: raw_b64,
        },
    }
    .finish()
}

impl ParsedEmail {
    fn finish(mut self) -> Self {
        self.email.folds = folds(&self.text);
        self
    }
}

/// The `index`th attachment of a raw message (in the order `parse` lists them): its name, type
/// and bytes, decoded.
pub fn attachment(raw: &[u8], index: usize) -> Option<(Option<String>, Option<String>, Vec<u8>)> {
    let message = MessageParser::default().parse(raw)?;
    let part = message.attachments().nth(index)?;
    let mime = part.content_type().map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")).to_lowercase());
    Some((part.attachment_name().map(str::to_owned), mime, part.contents().to_vec()))
}

fn cut(mut text: String) -> String {
    if text.len() > TEXT_LIMIT {
        let mut end = TEXT_LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Whether a multipart message's closing boundary is missing: mail-parser reads what is there,
/// so the agent must be told that something may be missing.
fn cut_short(message: &mail_parser::Message<'_>) -> bool {
    let Some(ct) = message.content_type() else {
        return false;
    };
    if !ct.ctype().eq_ignore_ascii_case("multipart") {
        return false;
    }
    let Some(boundary) = ct.attribute("boundary") else {
        return true;
    };
    let closing = format!("--{boundary}--");
    !message
        .raw_message()
        .windows(closing.len())
        .any(|w| w == closing.as_bytes())
}

/// HTML as the UI may show it: no script, style, forms, frames or event handlers; links open
/// nothing by themselves; images only from the message itself (`cid:`), remote ones dropped so
/// that opening a message tells no sender it was read. Returns the HTML and how many remote
/// images were dropped.
pub fn sanitise_html(html: &str) -> (String, usize) {
    let blocked = Arc::new(AtomicUsize::new(0));
    let counter = blocked.clone();
    let clean = ammonia::Builder::default()
        .add_url_schemes(["cid"])
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(move |element, attribute, value| {
            if element == "img"
                && attribute == "src"
                && !value.trim_start().to_ascii_lowercase().starts_with("cid:")
            {
                counter.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            Some(value.into())
        })
        .clean(html)
        .to_string();
    (clean, blocked.load(Ordering::Relaxed))
}

/// Marks what a reader folds away: quoted history (a `>` block with the attribution line before
/// it, or everything from an "Original Message" separator) and a signature (from `-- `).
/// Offsets are bytes into `text`.
pub fn folds(text: &str) -> Vec<Fold> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, line));
        offset += line.len();
    }
    let content = |l: &str| l.trim_end_matches(['\r', '\n']).to_owned();
    let quoted = |l: &str| l.trim_start().starts_with('>');
    let blank = |l: &str| l.trim().is_empty();
    let mut out: Vec<Fold> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        let body = content(line);
        if body == "-- " || body == "--" {
            out.push(Fold {
                kind: FoldKind::Signature,
                start,
                end: text.len(),
            });
            break;
        }
        if is_separator(&body) {
            out.push(Fold {
                kind: FoldKind::Quote,
                start,
                end: text.len(),
            });
            break;
        }
        if quoted(line)
            || (is_attribution(&body)
                && lines[i + 1..]
                    .iter()
                    .find(|(_, l)| !blank(l))
                    .is_some_and(|(_, l)| quoted(l)))
        {
            let mut j = i + 1;
            while j < lines.len() && (quoted(lines[j].1) || blank(lines[j].1)) {
                j += 1;
            }
            // Trailing blank lines belong to what follows.
            while j > i + 1 && blank(lines[j - 1].1) {
                j -= 1;
            }
            let end = lines.get(j).map_or(text.len(), |(o, _)| *o);
            out.push(Fold {
                kind: FoldKind::Quote,
                start,
                end,
            });
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// "On Mon, 3 Mar 2026, Jane <jane@example.com> wrote:", and the Korean clients' "…님이 작성:".
fn is_attribution(line: &str) -> bool {
    let l = line.trim();
    (l.starts_with("On ") && l.ends_with("wrote:"))
        || l.ends_with("작성:")
        || l.ends_with("작성함:")
}

fn is_separator(line: &str) -> bool {
    let l = line.trim().trim_matches('-').trim().to_lowercase();
    l == "original message" || l == "원본 메시지" || l == "forwarded message"
}

/// A subject as threading compares it: reply and forward prefixes (English, German, Nordic,
/// Korean, Chinese) removed, spaces collapsed, case folded. "Re: RE: Fwd: Refund" → "refund".
pub fn subject_key(subject: &str) -> String {
    const PREFIXES: &[&str] = &[
        "re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "답장", "회신", "전달", "回复", "转发",
    ];
    let mut s = subject.trim();
    'strip: loop {
        for prefix in PREFIXES {
            if let Some(rest) = s
                .get(..prefix.len())
                .filter(|p| p.eq_ignore_ascii_case(prefix))
                .map(|_| &s[prefix.len()..])
            {
                // An optional counter, "Re[2]:" or "Re(2):".
                let rest = rest.trim_start_matches(|c: char| {
                    c == '[' || c == '(' || c.is_ascii_digit() || c == ']' || c == ')'
                });
                if let Some(rest) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：')) {
                    s = rest.trim_start();
                    continue 'strip;
                }
            }
        }
        break;
    }
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A Message-ID as threading compares it: without angle brackets or surrounding space.
pub fn id_key(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_lose_reply_and_forward_prefixes() {
        assert_eq!(
            subject_key("Re: RE: Fwd:  Refund   for order 1042"),
            "refund for order 1042"
        );
        assert_eq!(subject_key("AW: Re[2]: Lieferung"), "lieferung");
        assert_eq!(subject_key("답장: 회신: 배송 문의"), "배송 문의");
        assert_eq!(subject_key("Recipe for success"), "recipe for success");
        assert_eq!(subject_key("Regarding: x"), "regarding: x");
    }

    #[test]
    fn quotes_and_signatures_are_marked() {
        let text = "Thanks, that helps.\n\nOn Mon, 3 Mar 2026, Acme <help@acme.test> wrote:\n> Your order shipped.\n>\n> Tracking: 1Z\n\nOne more thing.\n-- \nJane\n+1 555\n";
        let f = folds(text);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].kind, FoldKind::Quote);
        assert!(
            text[f[0].start..f[0].end].starts_with("On Mon")
                && text[f[0].start..f[0].end].ends_with("Tracking: 1Z\n")
        );
        assert_eq!(f[1].kind, FoldKind::Signature);
        assert_eq!(&text[f[1].start..f[1].end], "-- \nJane\n+1 555\n");
        let outlook = "See below\n-----Original Message-----\nFrom: x\n";
        assert_eq!(
            &outlook[folds(outlook)[0].start..],
            "-----Original Message-----\nFrom: x\n"
        );
        // An attribution-like line with no quote after it is ordinary text.
        assert!(folds("On Monday I wrote:\nnothing quoted").is_empty());
    }

    #[test]
    fn html_loses_script_handlers_forms_and_remote_images() {
        let (clean, blocked) = sanitise_html(
            r#"<p onclick="steal()">Hi<script>alert(1)</script></p><img src="https://track.example/p.gif"><img src="cid:logo@x">
               <form action="https://evil"><input name=card></form><a href="javascript:alert(1)">x</a><a href="https://acme.test">y</a>
               <iframe src="https://evil"></iframe><style>body{background:url(https://t)}</style>"#,
        );
        for bad in [
            "onclick",
            "script",
            "alert",
            "track.example",
            "<form",
            "<input",
            "javascript",
            "iframe",
            "<style",
            "url(",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(
            clean.contains(r#"src="cid:logo@x""#) && clean.contains("https://acme.test"),
            "{clean}"
        );
        assert_eq!(blocked, 1);
    }

    #[test]
    fn an_attachment_comes_back_decoded() {
        let raw = b"From: a@b.test\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--b--\r\n";
        let (name, mime, bytes) = attachment(raw, 0).unwrap();
        assert_eq!((name.as_deref(), mime.as_deref(), bytes.as_slice()), (Some("a.pdf"), Some("application/pdf"), &b"%PDF-1.4"[..]));
        assert!(attachment(raw, 1).is_none());
    }

    #[test]
    fn unreadable_bytes_are_kept_with_a_warning() {
        let parsed = parse(b"\x00\x01\x02 not mail at all");
        assert!(parsed.email.warning.is_some());
        let raw = base64::engine::general_purpose::STANDARD
            .decode(parsed.email.raw.unwrap())
            .unwrap();
        assert_eq!(raw, b"\x00\x01\x02 not mail at all");
    }
}
