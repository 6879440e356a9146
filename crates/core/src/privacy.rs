//! The privacy guard: finds payment card numbers (Luhn-checked), passwords, one-time codes,
//! email addresses, phone numbers and account or IBAN numbers in text. Card numbers and one-time
//! codes are masked wherever text is shown or exported; a reply with any of these is refused in
//! a public thread (see `reply_rules`), and a public customer message with one is flagged.

use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Sensitive {
    Card,
    Password,
    OneTimeCode,
    Email,
    Phone,
    Account,
}

impl Sensitive {
    pub fn words(self) -> &'static str {
        match self {
            Sensitive::Card => "a payment card number",
            Sensitive::Password => "a password",
            Sensitive::OneTimeCode => "a one-time code",
            Sensitive::Email => "an email address",
            Sensitive::Phone => "a phone number",
            Sensitive::Account => "an account or IBAN number",
        }
    }

    /// Masked wherever the text is shown or exported.
    pub fn masked(self) -> bool {
        matches!(self, Sensitive::Card | Sensitive::OneTimeCode)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Sensitive,
    /// Byte range in the text.
    pub range: Range<usize>,
}

/// Runs of digits with single spaces or dashes between them, as byte ranges with the digits.
fn digit_runs(text: &str) -> Vec<(Range<usize>, String)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && (bytes[i - 1].is_ascii_alphanumeric())) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        let mut end = i;
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() {
                digits.push(bytes[i] as char);
                i += 1;
                end = i;
            } else if (bytes[i] == b' ' || bytes[i] == b'-') && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit() {
                i += 1;
            } else {
                break;
            }
        }
        // A letter glued to the end makes it an identifier, not a number.
        if end < bytes.len() && bytes[end].is_ascii_alphabetic() {
            continue;
        }
        runs.push((start..end, digits));
    }
    runs
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// IBAN: two letters, two check digits, 11–30 letters or digits (spaces allowed), mod-97 = 1.
fn ibans(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let starts = bytes[i].is_ascii_uppercase()
            && bytes[i + 1].is_ascii_uppercase()
            && bytes[i + 2].is_ascii_digit()
            && bytes[i + 3].is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        let mut compact = String::new();
        let mut j = i;
        while j < bytes.len() && compact.len() < 34 {
            let part = |b: u8| b.is_ascii_digit() || b.is_ascii_uppercase();
            if part(bytes[j]) {
                compact.push(bytes[j] as char);
                j += 1;
                end = j;
            } else if bytes[j] == b' ' && j + 1 < bytes.len() && part(bytes[j + 1]) {
                j += 1;
            } else {
                break;
            }
        }
        if (15..=34).contains(&compact.len()) && iban_checksum(&compact) {
            found.push(i..end);
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

fn iban_checksum(iban: &str) -> bool {
    let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        for d in value.to_string().chars() {
            rem = (rem * 10 + (d as u32 - '0' as u32)) % 97;
        }
    }
    rem == 1
}

/// Lower-cased words that announce what follows.
const CODE_WORDS: &[&str] = &["code", "otp", "verification", "passcode", "pin", "인증번호", "인증 번호", "인증코드", "코드"];
const PASSWORD_WORDS: &[&str] = &["password", "passwd", "pwd", "비밀번호", "비번"];
const ACCOUNT_WORDS: &[&str] = &["account", "acct", "계좌", "계좌번호"];

/// Whether one of `words` stands, as a word of its own, within `window` bytes before `at`
/// (case-insensitive): "code 4821" but not "shipping 4821" for "pin".
fn announced(text: &str, at: usize, words: &[&str], window: usize) -> bool {
    let mut from = at.saturating_sub(window);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let before = text[from..at].to_lowercase();
    words.iter().any(|w| {
        before.match_indices(w).any(|(i, _)| {
            let prev = before[..i].chars().next_back();
            prev.is_none_or(|c| !c.is_alphanumeric()) || !w.is_ascii()
        })
    })
}

/// Everything sensitive in `text`, in order; overlaps resolved in favour of the earlier, longer
/// finding.
pub fn detect(text: &str) -> Vec<Finding> {
    let mut found: Vec<Finding> = Vec::new();
    for (range, digits) in digit_runs(text) {
        let n = digits.len();
        let kind = if (13..=19).contains(&n) && luhn(&digits) {
            Some(Sensitive::Card)
        } else if (4..=8).contains(&n) && range.len() == n && announced(text, range.start, CODE_WORDS, 24) {
            Some(Sensitive::OneTimeCode)
        } else if (6..=20).contains(&n) && announced(text, range.start, ACCOUNT_WORDS, 24) {
            Some(Sensitive::Account)
        } else if (9..=15).contains(&n) && (text[..range.start].ends_with('+') || n >= 10) {
            Some(Sensitive::Phone)
        } else {
            None
        };
        if let Some(kind) = kind {
            // A leading + belongs to the phone number.
            let start = if kind == Sensitive::Phone && text[..range.start].ends_with('+') { range.start - 1 } else { range.start };
            found.push(Finding { kind, range: start..range.end });
        }
    }
    for range in ibans(text) {
        found.push(Finding { kind: Sensitive::Account, range });
    }
    // Email addresses: a run of address characters around an @ with a dot after it.
    for (at, _) in text.match_indices('@') {
        let is_addr = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
        let start = text[..at].char_indices().rev().take_while(|(_, c)| is_addr(*c)).last().map_or(at, |(i, _)| i);
        let end = at + 1 + text[at + 1..].char_indices().take_while(|(_, c)| is_addr(*c)).last().map_or(0, |(i, c)| i + c.len_utf8());
        let domain = text[at + 1..end].trim_end_matches('.');
        if start < at && domain.contains('.') {
            found.push(Finding { kind: Sensitive::Email, range: start..at + 1 + domain.len() });
        }
    }
    // Passwords: the word, a colon or "is", then the next token.
    let lower = text.to_lowercase();
    if lower.len() == text.len() {
        for word in PASSWORD_WORDS {
            for (i, _) in lower.match_indices(word) {
                let rest = &text[i + word.len()..];
                let skip = rest.len() - rest.trim_start_matches(|c: char| c == ':' || c == '=' || c.is_whitespace() || c == '은' || c == '는').len();
                let rest_trimmed = &rest[skip..];
                let rest_trimmed = rest_trimmed.strip_prefix("is ").unwrap_or(rest_trimmed);
                let token_len = rest_trimmed.find(char::is_whitespace).unwrap_or(rest_trimmed.len());
                let separated = skip > 0 && rest[..skip].contains([':', '=']) || rest[skip..].starts_with("is ") || word.chars().any(|c| !c.is_ascii());
                if separated && token_len >= 4 {
                    let start = text.len() - rest_trimmed.len();
                    found.push(Finding { kind: Sensitive::Password, range: start..start + token_len });
                }
            }
        }
    }
    found.sort_by_key(|f| (f.range.start, std::cmp::Reverse(f.range.end)));
    let mut kept: Vec<Finding> = Vec::new();
    for f in found {
        if kept.last().is_none_or(|k| f.range.start >= k.range.end) {
            kept.push(f);
        }
    }
    kept
}

/// The text with card numbers and one-time codes masked: a card keeps its last four digits.
pub fn mask(text: &str) -> std::borrow::Cow<'_, str> {
    let findings: Vec<Finding> = detect(text).into_iter().filter(|f| f.kind.masked()).collect();
    if findings.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in findings {
        out.push_str(&text[last..f.range.start]);
        let digits: String = text[f.range.clone()].chars().filter(char::is_ascii_digit).collect();
        match f.kind {
            Sensitive::Card => out.push_str(&format!("•••• {}", &digits[digits.len() - 4..])),
            _ => out.push_str(&"•".repeat(digits.len())),
        }
        last = f.range.end;
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
}

/// The kinds of sensitive data in `text`, each once.
pub fn kinds(text: &str) -> Vec<Sensitive> {
    let mut kinds: Vec<Sensitive> = detect(text).into_iter().map(|f| f.kind).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Sensitive, &str)> {
        detect(text).into_iter().map(|f| (f.kind, &text[f.range])).collect()
    }

    #[test]
    fn card_numbers_are_found_only_with_a_valid_luhn_digit() {
        assert_eq!(found("my card is 4242 4242 4242 4242, exp 12/28"), [(Sensitive::Card, "4242 4242 4242 4242")]);
        assert_eq!(found("5555-5555-5555-4444"), [(Sensitive::Card, "5555-5555-5555-4444")]);
        // One digit off: not a card (but long enough to look like a phone number).
        assert!(found("4242 4242 4242 4241").iter().all(|(k, _)| *k != Sensitive::Card));
        assert_eq!(mask("card 4242424242424242 thanks"), "card •••• 4242 thanks");
    }

    #[test]
    fn codes_passwords_emails_phones_and_accounts() {
        assert_eq!(found("Your verification code: 483921"), [(Sensitive::OneTimeCode, "483921")]);
        assert_eq!(mask("인증번호 4829 입니다"), "인증번호 •••• 입니다");
        assert_eq!(found("order 1043 arrived"), []);
        assert_eq!(found("password: hunter22!"), [(Sensitive::Password, "hunter22!")]);
        assert_eq!(found("my password is Tr0ub4dor"), [(Sensitive::Password, "Tr0ub4dor")]);
        assert_eq!(found("the password reset mail never came"), []);
        assert_eq!(found("write to lena.ortiz+shop@example.com."), [(Sensitive::Email, "lena.ortiz+shop@example.com")]);
        assert_eq!(found("call me on +82 10 1234 5678"), [(Sensitive::Phone, "+82 10 1234 5678")]);
        assert_eq!(found("account number 12345678"), [(Sensitive::Account, "12345678")]);
        assert_eq!(found("IBAN DE89 3704 0044 0532 0130 00 please"), [(Sensitive::Account, "DE89 3704 0044 0532 0130 00")]);
        assert!(found("DE89 3704 0044 0532 0130 01").iter().all(|(k, _)| *k != Sensitive::Account));
        assert_eq!(found("shipping 4821 today"), []);
        assert_eq!(kinds("card 4242424242424242, code 1234"), [Sensitive::Card, Sensitive::OneTimeCode]);
    }
}
