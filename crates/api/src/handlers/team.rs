//! Team mode: a desk joins a team's hub and then follows it as an account (`hub:<host>`), its
//! token in the OS keychain. With a hub, the desk runs no platform account of its own: the hub
//! does (see `switchboard_sync::Engine::run`).

use crate::context::Context;
use crate::events::Event;
use serde::{Deserialize, Serialize};
use switchboard_core::credentials::Credentials;
use switchboard_core::model::AccountView;
use switchboard_core::team::Enrolled;
use switchboard_core::{Error, Result, Store};
use ts_rs::TS;

/// Settings → "Join a team": the hub's address and the one-time code a supervisor gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct JoinTeamRequest {
    pub url: String,
    pub code: String,
}

/// Enrols this desk with the team's hub and starts following it (the platform accounts are the
/// hub's from then on).
pub(crate) fn join_team(cx: &Context, r: JoinTeamRequest) -> crate::error::Result<AccountView> {
    if cx.read(|s| s.team_person())?.is_some() {
        return Err(crate::error::ApiError::invalid("this desk is in a team already"));
    }
    hub_key(&r.url)?;
    let enrolled = cx.wait(switchboard_sync::hub::enrol(&r.url, &r.code))??;
    let credentials = cx.credentials()?;
    let url = r.url.clone();
    let account = cx.write(move |s| join(s, credentials.as_ref(), &url, &enrolled))?;
    cx.emit(Event::Accounts);
    cx.request_sync(false, true);
    Ok(account)
}

/// The account a desk follows a hub at `url` as: `hub:` and the hub's host (and port).
pub fn hub_key(url: &str) -> Result<String> {
    let rest = url.trim().strip_prefix("https://").or_else(|| url.trim().strip_prefix("http://")).ok_or_else(|| Error::invalid("a hub's address starts with https://"))?;
    let host = rest.split('/').next().unwrap_or("").to_lowercase();
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('@') {
        return Err(Error::invalid("a hub's address is https://HOST or https://HOST:PORT"));
    }
    Ok(format!("hub:{host}"))
}

/// A teammate's presence as this desk shows it: the conversation by this desk's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TeammatePresence {
    pub person: String,
    pub state: switchboard_core::team::PresenceState,
    #[ts(type = "number | null")]
    pub conversation: Option<i64>,
    pub typing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, Default)]
pub struct TeamPresenceRequest {}

/// Where this desk's person is: the conversation open (none: the inbox), typing in it, or away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, Default)]
pub struct SetPresenceRequest {
    #[ts(type = "number | null")]
    pub conversation: Option<i64>,
    pub typing: bool,
    pub away: bool,
}

/// The team's hub, to talk to now; none when this desk is alone.
pub(crate) fn hub(cx: &Context) -> crate::error::Result<Option<switchboard_sync::hub::Hub>> {
    let Some(account) = cx.read(|s| Ok(s.accounts()?.into_iter().find(|a| a.channel == switchboard_core::model::Channel::Hub)))? else {
        return Ok(None);
    };
    let token = cx.running_credentials()?.get(&account.key)?.ok_or_else(|| crate::error::ApiError::new(crate::error::ErrorCode::NotAllowed, "this desk's team token is missing: join the team again"))?;
    Ok(Some(switchboard_sync::hub::Hub::for_account(&account, token)?))
}

/// Says where this desk's person is (the app calls it every few seconds and on each change);
/// alone, nothing to say.
pub(crate) fn set_presence(cx: &Context, r: SetPresenceRequest) -> crate::error::Result<()> {
    let Some(hub) = hub(cx)? else { return Ok(()) };
    let viewing = match r.conversation {
        Some(id) => {
            let (account, conversation) = cx.read(|s| s.conversation_names(id))?;
            Some(switchboard_core::team::ConversationName { account, conversation })
        }
        None => None,
    };
    let update = switchboard_core::team::PresenceUpdate { away: r.away, viewing, typing: r.typing && r.conversation.is_some() };
    cx.wait(hub.say_presence(&update))??;
    Ok(())
}

/// Where everyone on the team is, by this desk's conversations; alone, nobody.
pub(crate) fn team_presence(cx: &Context, _: TeamPresenceRequest) -> crate::error::Result<Vec<TeammatePresence>> {
    let Some(hub) = hub(cx)? else { return Ok(Vec::new()) };
    let entries = cx.wait(hub.presence())??;
    cx.read(|s| {
        entries
            .into_iter()
            .map(|e| {
                let conversation = match &e.viewing {
                    Some(v) => s.conversation_by_external(&v.account, &v.conversation)?,
                    None => None,
                };
                Ok(TeammatePresence { person: e.person, state: e.state, conversation, typing: e.typing && conversation.is_some() })
            })
            .collect()
    })
}

/// The team as this desk knows it: its person's role, and the auto-assignment the log last set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TeamSettings {
    /// None when this desk is not in a team.
    pub role: Option<switchboard_core::team::Role>,
    pub auto_assignment: switchboard_core::interchange::AutoAssignmentRecord,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, Default)]
pub struct TeamSettingsRequest {}

pub(crate) fn team_settings(cx: &Context, _: TeamSettingsRequest) -> crate::error::Result<TeamSettings> {
    cx.read(|s| {
        let team = s.accounts()?.into_iter().find(|a| a.channel == switchboard_core::model::Channel::Hub);
        let role = team.and_then(|a| a.config.get("role").and_then(|r| r.as_str()).and_then(|r| serde_json::from_value(r.into()).ok()));
        Ok(TeamSettings { role, auto_assignment: s.auto_assignment()? })
    })
}

/// Sets the team's auto-assignment through the hub (supervisors only; the hub says so to others).
pub(crate) fn set_auto_assignment(cx: &Context, r: switchboard_core::interchange::AutoAssignmentRecord) -> crate::error::Result<()> {
    let hub = hub(cx)?.ok_or_else(|| crate::error::ApiError::invalid("this desk is not in a team"))?;
    cx.wait(hub.set_auto_assignment(&r))??;
    Ok(())
}

/// Records the team this desk enrolled in (`enrolled`, from `switchboard_sync::hub::enrol`): the
/// token to `credentials`, the hub to the store as an account; both or neither.
pub fn join(store: &mut Store, credentials: &dyn Credentials, url: &str, enrolled: &Enrolled) -> Result<AccountView> {
    let key = hub_key(url)?;
    if store.accounts()?.iter().any(|a| a.channel == switchboard_core::model::Channel::Hub) {
        return Err(Error::invalid("this desk is in a team already"));
    }
    let mut config = serde_json::Map::new();
    config.insert("url".into(), url.trim().trim_end_matches('/').into());
    config.insert("person".into(), enrolled.person.name.clone().into());
    config.insert("person_id".into(), enrolled.person.id.into());
    config.insert("role".into(), enrolled.person.role.as_str().into());
    credentials.set(&key, &enrolled.token)?;
    store.add_account(&key, Some(&enrolled.person.name), config).inspect_err(|_| {
        let _ = credentials.delete(&key);
    })
}

#[cfg(test)]
mod tests {
    use super::hub_key;

    #[test]
    fn a_hub_is_known_by_its_host() {
        assert_eq!(hub_key("https://Hub.Example:7272/").unwrap(), "hub:hub.example:7272");
        assert_eq!(hub_key(" http://127.0.0.1:7272 ").unwrap(), "hub:127.0.0.1:7272");
        assert!(hub_key("hub.example").is_err());
        assert!(hub_key("https://").is_err());
        assert!(hub_key("https://user@hub.example").is_err());
    }
}
