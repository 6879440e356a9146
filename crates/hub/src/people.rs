//! The people of a team: agents and supervisors. A person enrols a desk with a one-time code and
//! the desk keeps the token it gets back; the hub keeps only the SHA-256 of each (both are random
//! and long, so a fast hash is enough: nothing to guess a preimage from).

use rand::RngCore;
use sha2::{Digest, Sha256};

pub use switchboard_core::team::{Person, Role};

/// The longest name a person may have, in characters.
pub const NAME_LIMIT: usize = 64;

/// A person's name as given, checked: not blank, not too long, no control characters.
pub fn check_name(name: &str) -> crate::error::Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::error::Error::invalid("a person needs a name"));
    }
    if name.chars().count() > NAME_LIMIT {
        return Err(crate::error::Error::invalid(format!("a name has at most {NAME_LIMIT} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(crate::error::Error::invalid("a name has no control characters"));
    }
    Ok(name)
}

/// Crockford's base 32: no I, L, O or U, so a code read aloud or typed is hard to get wrong.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new enrolment code: 20 characters of base 32 (100 bits) in groups of four.
pub fn new_code() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes.iter().map(|b| CODE_ALPHABET[(b % 32) as usize] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A code as typed, made canonical: case, spaces and dashes do not matter, and the letters
/// Crockford's alphabet leaves out read as the digits they look like.
pub fn normalise_code(typed: &str) -> String {
    let plain: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    plain.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// A new token for a desk: 32 random bytes, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the hub keeps of a code or a token.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_the_same_however_it_is_typed() {
        let code = new_code();
        assert_eq!(code.len(), 24);
        assert!(code.split('-').all(|g| g.len() == 4 && g.bytes().all(|b| CODE_ALPHABET.contains(&b))), "{code}");
        assert_eq!(normalise_code(&code), code);
        assert_eq!(normalise_code(&format!(" {} ", code.to_lowercase().replace('-', " "))), code);
        assert_eq!(normalise_code("o1il-0000"), "0111-0000");
        assert_eq!(hash(&normalise_code(&code.to_lowercase())), hash(&code));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("  Mina Park ").unwrap(), "Mina Park");
        assert!(check_name(" ").is_err());
        assert!(check_name(&"x".repeat(NAME_LIMIT + 1)).is_err());
        assert!(check_name("mina\u{7}").is_err());
        assert_eq!("supervisor".parse::<Role>().unwrap(), Role::Supervisor);
        assert!("boss".parse::<Role>().is_err());
    }
}

/// Tells the desks about a teammate: appends their `person` record to the log (nothing when the
/// log already says the same of them), so that every desk knows whom it may assign to and whose
/// name the records carry.
pub async fn announce(engine: &dyn crate::engine::Engine, person: &Person, removed: bool, now: jiff::Timestamp) -> crate::error::Result<()> {
    use switchboard_core::interchange::{PersonRecord, Record};
    let record = Record::Person(PersonRecord { id: person.id, name: person.name.clone(), role: person.role, removed });
    let key = record.natural_key().expect("a person has a key");
    let entry = crate::engine::NewEntry::new(serde_json::to_string(&record).expect("records serialise")).of_state(key);
    engine.append(crate::engine::Append::entries(vec![entry], now)).await?;
    Ok(())
}

/// Announces everyone on the hub (at its start: people added before the log named them).
pub async fn announce_all(engine: &dyn crate::engine::Engine, now: jiff::Timestamp) -> crate::error::Result<()> {
    for person in engine.people().await? {
        announce(engine, &person, false, now).await?;
    }
    Ok(())
}
