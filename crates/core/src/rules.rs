//! Triage rules as pure functions: a rule's conditions against what is known of a new customer
//! message, and the actions of every rule that holds, in rule order (a later rule's priority
//! wins over an earlier one's).

use crate::error::{Error, Result};
use crate::interchange::{CalendarRecord, Condition, RuleAction, RuleRecord};
use crate::model::{Channel, Priority};
use crate::sla::Calendar;
use regex::Regex;

/// What the conditions look at.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub channel: Channel,
    pub public: bool,
    pub text: &'a str,
    pub customer_status: Option<&'a str>,
    pub language: Option<&'a str>,
    pub priority: Priority,
    pub at: jiff::Timestamp,
}

enum Compiled {
    Pattern(Regex),
    Calendar(Option<Calendar>),
    /// The words and phrases, trimmed and lower-cased once.
    Words(Vec<String>),
    Plain,
}

/// The enabled rules, ready to evaluate (patterns compiled, calendars read).
pub struct RuleSet(Vec<(RuleRecord, Vec<Compiled>)>);

fn pattern(p: &str) -> Result<Regex> {
    regex::RegexBuilder::new(p)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| Error::invalid(format!("pattern {p:?} does not read: {e}")))
}

/// A rule as an agent saves it: it needs a name, an action, and patterns that read.
pub fn check(rule: &RuleRecord) -> Result<()> {
    if rule.name.trim().is_empty() {
        return Err(Error::invalid("a rule needs a name"));
    }
    if rule.actions.is_empty() {
        return Err(Error::invalid(format!("rule {:?} has no actions", rule.name)));
    }
    for c in &rule.conditions {
        match c {
            Condition::TextMatches(p) => {
                pattern(p)?;
            }
            Condition::TextContainsAny(words) if words.iter().all(|w| w.trim().is_empty()) => {
                return Err(Error::invalid(format!("rule {:?} looks for no words", rule.name)))
            }
            _ => {}
        }
    }
    for a in &rule.actions {
        if let RuleAction::AddTag(t) | RuleAction::Assign(t) | RuleAction::Incident(t) = a {
            if t.trim().is_empty() {
                return Err(Error::invalid(format!("rule {:?} has an empty tag, assignee or incident", rule.name)));
            }
        }
    }
    Ok(())
}

/// Whether `phrase` (trimmed, not empty) is in `lower` (both lower case): as a whole word for Latin text; anywhere
/// for Korean and the like, whose particles attach to the word.
fn contains_phrase(lower: &str, phrase: &str) -> bool {
    if !phrase.is_ascii() {
        return lower.contains(phrase);
    }
    lower.match_indices(phrase).any(|(i, _)| {
        let before = lower[..i].chars().next_back();
        let after = lower[i + phrase.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

impl RuleSet {
    /// The enabled rules in order; a rule whose pattern does not read is left out (saving one
    /// is refused, so only an old import can hold one).
    pub fn new(mut rules: Vec<RuleRecord>, calendars: &[CalendarRecord]) -> RuleSet {
        rules.retain(|r| r.enabled);
        rules.sort_by(|a, b| (a.position, &a.name).cmp(&(b.position, &b.name)));
        let compiled = rules
            .into_iter()
            .filter_map(|r| {
                let parts: Option<Vec<Compiled>> = r
                    .conditions
                    .iter()
                    .map(|c| match c {
                        Condition::TextMatches(p) => pattern(p).ok().map(Compiled::Pattern),
                        Condition::TextContainsAny(words) => {
                            Some(Compiled::Words(words.iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect()))
                        }
                        Condition::BusinessHours { calendar, .. } => Some(Compiled::Calendar(
                            calendars.iter().find(|c| &c.name == calendar).and_then(|c| Calendar::from_record(c).ok()),
                        )),
                        _ => Some(Compiled::Plain),
                    })
                    .collect();
                parts.map(|p| (r, p))
            })
            .collect();
        RuleSet(compiled)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every action of every rule whose conditions all hold, with the rule's name, in order.
    pub fn evaluate(&self, f: &Facts<'_>) -> Vec<(&str, &RuleAction)> {
        let lower = f.text.to_lowercase();
        let mut out = Vec::new();
        for (rule, compiled) in &self.0 {
            let holds = rule.conditions.iter().zip(compiled).all(|(c, k)| match (c, k) {
                (Condition::ChannelIn(list), _) => list.contains(&f.channel),
                (Condition::TextContainsAny(_), Compiled::Words(words)) => words.iter().any(|w| contains_phrase(&lower, w)),
                (Condition::TextMatches(_), Compiled::Pattern(re)) => re.is_match(f.text),
                (Condition::CustomerStatusIn(list), _) => f.customer_status.is_some_and(|s| list.iter().any(|x| x.eq_ignore_ascii_case(s))),
                (Condition::LanguageIn(list), _) => f.language.is_some_and(|l| {
                    let primary = l.split(['-', '_']).next().unwrap_or(l);
                    list.iter().any(|x| x.eq_ignore_ascii_case(l) || x.eq_ignore_ascii_case(primary))
                }),
                (Condition::Public(p), _) => *p == f.public,
                (Condition::PriorityIn(list), _) => list.contains(&f.priority),
                // An unknown calendar never holds: the rule waits until it exists.
                (Condition::BusinessHours { open, .. }, Compiled::Calendar(Some(cal))) => {
                    let inside = cal.between(f.at, f.at + jiff::SignedDuration::from_secs(1)) > jiff::SignedDuration::ZERO;
                    inside == *open
                }
                _ => false,
            });
            if holds {
                out.extend(rule.actions.iter().map(|a| (rule.name.as_str(), a)));
            }
        }
        out
    }
}

/// A question in English or Korean: a question mark, a question word first (after any
/// @mentions), or a Korean question ending.
const QUESTION: &str = r"[?？]|^\W*(@\w+\s+)*(how|when|where|why|what|which|who|can|could|is|are|do|does|did|will|any)\b|(나요|까요|습니까|는지|어떻게|언제|왜)";

/// The rules a new store starts with.
pub fn defaults() -> Vec<RuleRecord> {
    let words = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let rule = |position: i64, name: &str, conditions: Vec<Condition>, actions: Vec<RuleAction>| RuleRecord {
        name: name.into(),
        position,
        enabled: true,
        conditions,
        actions,
    };
    vec![
        rule(
            1,
            "Public thanks, likes and mentions need no reply",
            vec![Condition::Public(true)],
            vec![RuleAction::SetPriority(Priority::Low), RuleAction::NoReplyNeeded],
        ),
        rule(
            2,
            "Thanks are low",
            vec![Condition::TextMatches(r"^\W*(thanks?( you)?( so much)?|thx|ty|cheers|감사합니다|고맙습니다|감사해요)\W*$".into())],
            vec![RuleAction::SetPriority(Priority::Low)],
        ),
        rule(
            3,
            "Public questions are high",
            vec![Condition::Public(true), Condition::TextMatches(QUESTION.into())],
            vec![RuleAction::SetPriority(Priority::High)],
        ),
        rule(
            4,
            "Technical and account questions are high",
            vec![
                Condition::Public(false),
                Condition::TextContainsAny(words(&[
                    "error", "crash", "bug", "can't log in", "cannot log in", "log in", "login", "password", "account", "hacked", "locked out",
                    "로그인", "오류", "에러", "계정", "비밀번호", "해킹",
                ])),
            ],
            vec![RuleAction::SetPriority(Priority::High)],
        ),
        rule(
            5,
            "Complaints are high",
            vec![Condition::TextContainsAny(words(&[
                "complaint", "unacceptable", "terrible", "worst", "angry", "scam", "disappointed", "ridiculous", "불만", "최악", "실망", "화가",
            ]))],
            vec![RuleAction::SetPriority(Priority::High), RuleAction::AddTag("complaint".into())],
        ),
        rule(
            6,
            "Login trouble may be an incident",
            vec![Condition::TextContainsAny(words(&["can't log in", "cannot log in", "login", "log in", "로그인"]))],
            vec![RuleAction::Incident("login".into())],
        ),
        rule(
            7,
            "Outages may be an incident",
            vec![Condition::TextContainsAny(words(&["is down", "outage", "not loading", "site down", "app down", "접속이 안", "먹통"]))],
            vec![RuleAction::Incident("outage".into())],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str, public: bool) -> Facts<'_> {
        Facts { channel: Channel::X, public, text, customer_status: None, language: Some("ko-KR"), priority: Priority::Normal, at: jiff::Timestamp::UNIX_EPOCH }
    }

    fn names<'a>(set: &'a RuleSet, f: &Facts<'_>) -> Vec<&'a str> {
        let mut n: Vec<&str> = set.evaluate(f).into_iter().map(|(name, _)| name).collect();
        n.dedup();
        n
    }

    #[test]
    fn the_defaults_sort_thanks_complaints_questions_and_mentions() {
        let set = RuleSet::new(defaults(), &[]);
        assert_eq!(names(&set, &facts("Thank you so much!", false)), ["Thanks are low"]);
        assert_eq!(names(&set, &facts("I can't log in to my account", false)), ["Technical and account questions are high", "Login trouble may be an incident"]);
        assert_eq!(names(&set, &facts("@acme worst service ever", true)), ["Public thanks, likes and mentions need no reply", "Complaints are high"]);
        assert_eq!(names(&set, &facts("@acme when does the sale end", true)), ["Public thanks, likes and mentions need no reply", "Public questions are high"]);
        assert_eq!(names(&set, &facts("배송 언제 되나요", true)), ["Public thanks, likes and mentions need no reply", "Public questions are high"]);
        assert_eq!(names(&set, &facts("Love my new kettle from @acme ❤️", true)), ["Public thanks, likes and mentions need no reply"]);
        assert_eq!(names(&set, &facts("로그인이 안 돼요", false)), ["Technical and account questions are high", "Login trouble may be an incident"]);
        // Whole words: "blogging" is not "login", "errors" is not "error".
        assert!(names(&set, &facts("love the blogging errors page", false)).is_empty());
        // A later rule's priority wins: a public complaint ends up high.
        let last = set.evaluate(&facts("@acme this is unacceptable", true)).into_iter().filter_map(|(_, a)| match a {
            RuleAction::SetPriority(p) => Some(*p),
            _ => None,
        }).last();
        assert_eq!(last, Some(Priority::High));
    }

    #[test]
    fn a_bad_pattern_is_refused_and_language_matches_its_first_part() {
        let mut rule = RuleRecord { name: "x".into(), position: 1, enabled: true, conditions: vec![Condition::TextMatches("(".into())], actions: vec![RuleAction::AddTag("t".into())] };
        assert!(check(&rule).is_err());
        rule.conditions = vec![Condition::LanguageIn(vec!["ko".into()])];
        let set = RuleSet::new(vec![rule], &[]);
        assert_eq!(names(&set, &facts("hi", false)), ["x"]);
    }
}
