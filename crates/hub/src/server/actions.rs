//! What agents do to conversations (`POST /actions`): checked, then appended to the log, each
//! with the key the desk gave it (the same key again is the same action) and who did it. An
//! assignment is compare-and-set: it changes hands only from the assignee the asker saw.

use super::auth::Caller;
use super::problem::{ApiError, Body};
use super::App;
use crate::engine::{Claim, ConversationRef, NewEntry};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use switchboard_core::interchange::{AssignmentRecord, ConversationChangeRecord, NoteRecord, Record};
use switchboard_core::interchange::ReplyRecord;
use switchboard_core::model::{OutboxKind, OutboxState};
use switchboard_core::team::{Action, ActionOutcome, ActionRequest, Person, ProblemCode, KEY_LIMIT, NOTE_LIMIT, REPLY_LIMIT, TAGS_LIMIT, TAG_LIMIT};

/// How long an action waits for the hub's replica to catch up with the log before it decides a
/// conversation is unknown.
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(5);

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, ProblemCode::Invalid, message)
}

fn check(request: &ActionRequest) -> Result<(), ApiError> {
    if request.key.trim().is_empty() || request.key.chars().count() > KEY_LIMIT {
        return Err(invalid(format!("an action's key is 1 to {KEY_LIMIT} characters")));
    }
    match &request.action {
        Action::Note { text } if text.trim().is_empty() => Err(invalid("a note needs text")),
        Action::Note { text } if text.chars().count() > NOTE_LIMIT => Err(invalid(format!("a note holds at most {NOTE_LIMIT} characters"))),
        Action::Tags { tags } if tags.len() > TAGS_LIMIT => Err(invalid(format!("a conversation has at most {TAGS_LIMIT} tags"))),
        Action::Tags { tags } if tags.iter().any(|t| t.trim().is_empty() || t.chars().count() > TAG_LIMIT) => Err(invalid(format!("a tag is 1 to {TAG_LIMIT} characters"))),
        Action::Reply { text, .. } if text.chars().count() > REPLY_LIMIT => Err(invalid(format!("a reply holds at most {REPLY_LIMIT} characters"))),
        Action::Reply { text, template: None, form: OutboxKind::Reply | OutboxKind::PrivateReply, .. } if text.trim().is_empty() => Err(invalid("a reply needs text")),
        _ => Ok(()),
    }
}

/// A person by name among the team, for an assignment.
fn person<'a>(people: &'a [Person], name: &str) -> Result<&'a Person, ApiError> {
    people
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, ProblemCode::NotFound, format!("nobody called {name:?} is on this team")))
}

pub async fn act(State(app): State<App>, Caller(by): Caller, Body(request): Body<ActionRequest>) -> Result<Json<ActionOutcome>, ApiError> {
    check(&request)?;
    let ActionRequest { key, account, conversation, action } = request;
    // The conversation must be one the log names: the replica is asked once it holds the log as
    // it stood when the action came.
    let head = *app.engine.head().borrow();
    let _ = tokio::time::timeout(CATCH_UP, app.replica.caught_up_to(head)).await;
    let (a, c) = (account.clone(), conversation.clone());
    let known = app.replica.db().read(move |s| s.conversation_by_external(&a, &c)).map_err(crate::Error::from)?;
    let Some(conversation_id) = known else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, ProblemCode::NotFound, "no such conversation on this hub"));
    };
    let now = (app.settings.now)();
    let entry = |record: Record| NewEntry::new(serde_json::to_string(&record).expect("records serialise")).by(by.id).keyed(key.clone());
    let outcome = match action {
        Action::Reply { text, template, form, target } => {
            let reply = Reply { key: key.clone(), account, conversation, conversation_id, text, template, form, target };
            self::reply(&app, &by, reply, now).await?
        }
        Action::Assign { expected, to } => {
            let people = app.engine.people().await?;
            let expected = expected.as_deref().map(|n| person(&people, n)).transpose()?;
            let to = to.as_deref().map(|n| person(&people, n)).transpose()?;
            let record = Record::Assignment(AssignmentRecord { account: account.clone(), conversation: conversation.clone(), assignee: to.map(|p| p.name.clone()), by: Some(by.name.clone()) });
            let at = ConversationRef { account, conversation };
            match app.engine.assign(&at, expected.map(|p| p.id), to.map(|p| p.id), entry(record), now).await? {
                Claim::Done { seq } => ActionOutcome::Done { seq },
                Claim::Taken { by } => {
                    // Who has it, by name (one removed since is still named).
                    let name = by.map(|id| people.iter().find(|p| p.id == id).map_or_else(|| format!("person {id}"), |p| p.name.clone()));
                    ActionOutcome::Taken { by: name }
                }
            }
        }
        change => {
            let record = match change {
                Action::Note { text } => Record::Note(NoteRecord { id: key.clone(), account, conversation, author: Some(by.name.clone()), text, at: now }),
                Action::Status { status } => Record::ConversationChange(ConversationChangeRecord { account, conversation, status: Some(status), priority: None, tags: None, by: Some(by.name.clone()) }),
                Action::Priority { priority } => Record::ConversationChange(ConversationChangeRecord { account, conversation, status: None, priority: Some(priority), tags: None, by: Some(by.name.clone()) }),
                Action::Tags { tags } => {
                    let tags = tags.into_iter().map(|t| t.trim().to_owned()).collect();
                    Record::ConversationChange(ConversationChangeRecord { account, conversation, status: None, priority: None, tags: Some(tags), by: Some(by.name.clone()) })
                }
                Action::Assign { .. } | Action::Reply { .. } => unreachable!("handled above"),
            };
            let seqs = app.engine.append(crate::engine::Append::entries(vec![entry(record)], now)).await?;
            ActionOutcome::Done { seq: seqs[0] }
        }
    };
    Ok(Json(outcome))
}

struct Reply {
    key: String,
    account: String,
    conversation: String,
    conversation_id: i64,
    text: String,
    template: Option<switchboard_core::model::Template>,
    form: OutboxKind,
    target: Option<String>,
}

/// A reply, checked against the channel's rules as the replica knows the conversation, then
/// appended as `queued` for the hub that runs the account to send. The same key again is the
/// same reply; after it failed, it is queued again (once per failure, however often asked).
async fn reply(app: &super::App, by: &Person, r: Reply, now: jiff::Timestamp) -> Result<ActionOutcome, ApiError> {
    let runs = app.engine.accounts().await?.iter().any(|a| a.key == r.account);
    if !runs {
        return Err(invalid(format!("this hub does not run {}; its replies go out from where it is connected", r.account)));
    }
    let key = r.key.clone();
    let existing = app.replica.db().read(move |s| s.reply_by_key(&key)).map_err(crate::Error::from)?;
    let record = |state: OutboxState, attempts: i64| ReplyRecord {
        key: r.key.clone(),
        account: r.account.clone(),
        conversation: r.conversation.clone(),
        text: r.text.clone(),
        author: Some(by.name.clone()),
        template: r.template.clone(),
        kind: r.form,
        target: r.target.clone(),
        state,
        attempts,
        external_id: None,
        error: None,
        at: now,
        retry_at: None,
    };
    let entry = match existing {
        Some(item) if item.conversation_id != r.conversation_id => {
            return Err(ApiError::new(StatusCode::CONFLICT, ProblemCode::Conflict, "that key names a reply in another conversation"));
        }
        // Asked again after it failed: queued again, keyed by the failure so that asking twice
        // queues it once.
        Some(item) if item.state == OutboxState::Failed => {
            let mut again = record(OutboxState::Queued, item.attempts);
            again.text = item.text;
            let retry = format!("{}\u{1f}retry\u{1f}{}", r.key, item.updated_at.as_millisecond());
            NewEntry::new(serde_json::to_string(&Record::Reply(again)).expect("records serialise")).by(by.id).keyed(retry)
        }
        // Taken already (it was appended under this key, so this appends nothing and answers
        // where the log holds it).
        Some(_) => NewEntry::new(serde_json::to_string(&Record::Reply(record(OutboxState::Queued, 0))).expect("records serialise")).by(by.id).keyed(r.key.clone()),
        None => {
            let (id, text, template, form, target) = (r.conversation_id, r.text.clone(), r.template.is_some(), r.form, r.target.clone());
            let checked = app.replica.db().read(move |s| s.check_outgoing(id, &text, template, form, target.as_deref(), now));
            match checked {
                Ok(_) => {}
                Err(switchboard_core::Error::ReplyNotAllowed(why)) => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ProblemCode::Invalid, why)),
                Err(e) => return Err(crate::Error::from(e).into()),
            }
            NewEntry::new(serde_json::to_string(&Record::Reply(record(OutboxState::Queued, 0))).expect("records serialise")).by(by.id).keyed(r.key.clone())
        }
    };
    let seqs = app.engine.append(crate::engine::Append::entries(vec![entry], now)).await?;
    Ok(ActionOutcome::Done { seq: seqs[0] })
}
