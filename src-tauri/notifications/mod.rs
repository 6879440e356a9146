//! Desktop notifications for new customer messages and SLA breaches, through the desktop's
//! notification daemon (org.freedesktop.Notifications on D-Bus, by notify-rust): the desktop
//! shell's, since web mode has none. One notification per conversation:
//! a second message replaces the first and says how many are new. Do-not-disturb and per-channel
//! switches are settings in the store. Only what a customer wrote in the last minutes notifies:
//! history coming in (a new account's first sync, a reconnect after a night) only counts as
//! unread, rather than a notification per conversation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use switchboard_api::settings::{NotificationSettings, NotificationSettingsRequest};
use switchboard_api::thread::ThreadRequest;
use switchboard_api::{CustomerMessage, Event, Workspace};
use switchboard_core::model::ClockKind;
use tokio::sync::broadcast;

/// How old a customer's message may be and still notify.
pub const FRESH: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// What the notifier remembers of a conversation's notification: the daemon's id (to replace
/// it), how many messages it stands for, and whether a thread still waits for its click.
#[derive(Debug, Clone)]
struct Shown {
    id: u32,
    count: u32,
    waiting: Arc<AtomicBool>,
}

#[derive(Default)]
pub struct Notifier {
    shown: Mutex<HashMap<i64, Shown>>,
}

/// What a notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub summary: String,
    pub body: String,
}

/// The words of a conversation's notification after `count` new messages, the last being `m`.
pub fn text(m: &CustomerMessage, count: u32) -> Text {
    let summary = format!("{} · {}", m.sender, m.channel);
    let body = if count > 1 { format!("{count} new messages: {}", m.preview) } else { m.preview.clone() };
    Text { summary, body }
}

/// The words of a mention's notification.
pub fn mention_text(by: &str, preview: &str) -> Text {
    let by = if by.is_empty() { "A teammate" } else { by };
    Text { summary: format!("{by} mentioned you"), body: preview.to_owned() }
}

/// Whether `settings` let a message from this channel notify, and it is new enough at `now`.
pub fn wanted(settings: &NotificationSettings, m: &CustomerMessage, now: jiff::Timestamp) -> bool {
    settings.enabled
        && !settings.do_not_disturb
        && !settings.muted_channels.contains(&m.channel)
        && now.duration_since(m.at) <= FRESH
}

impl Notifier {
    /// Shows (or updates) the conversation's notification; `on_open` runs when the agent clicks
    /// it. Returns the daemon's id, or `None` when the settings keep it quiet.
    pub fn notify(
        &self,
        settings: &NotificationSettings,
        m: &CustomerMessage,
        on_open: impl FnOnce(i64) + Send + 'static,
    ) -> Result<Option<u32>, String> {
        if !wanted(settings, m, jiff::Timestamp::now()) {
            return Ok(None);
        }
        let previous = self.shown.lock().expect("notifier lock").get(&m.conversation).cloned();
        let count = previous.as_ref().map_or(1, |p| p.count + 1);
        let (id, waiting) = show(&text(m, count), previous.as_ref(), "im.received", m.conversation, on_open)?;
        self.shown.lock().expect("notifier lock").insert(m.conversation, Shown { id, count, waiting });
        Ok(Some(id))
    }

    /// Tells the agent a conversation of theirs went past its SLA target (do-not-disturb keeps
    /// it quiet too); `on_open` runs on a click.
    pub fn breach(
        &self,
        settings: &NotificationSettings,
        conversation: i64,
        what: &str,
        on_open: impl FnOnce(i64) + Send + 'static,
    ) -> Result<Option<u32>, String> {
        if !settings.enabled || settings.do_not_disturb {
            return Ok(None);
        }
        let text = Text { summary: "SLA breached".into(), body: what.to_owned() };
        show(&text, None, "im.error", conversation, on_open).map(|(id, _)| Some(id))
    }

    /// Tells the agent a teammate mentioned them in a note (team mode); `on_open` runs on a click.
    pub fn mention(
        &self,
        settings: &NotificationSettings,
        conversation: i64,
        by: &str,
        preview: &str,
        on_open: impl FnOnce(i64) + Send + 'static,
    ) -> Result<Option<u32>, String> {
        if !settings.enabled || settings.do_not_disturb {
            return Ok(None);
        }
        show(&mention_text(by, preview), None, "im", conversation, on_open).map(|(id, _)| Some(id))
    }

    /// The agent opened the conversation: its next notification starts afresh.
    pub fn seen(&self, conversation: i64) {
        self.shown.lock().expect("notifier lock").remove(&conversation);
    }
}

/// Shows a notification (replacing `replaces`) with an Open action for `conversation`; returns
/// its id and the flag of the thread that waits for its click.
fn show(
    text: &Text,
    replaces: Option<&Shown>,
    category: &str,
    conversation: i64,
    on_open: impl FnOnce(i64) + Send + 'static,
) -> Result<(u32, Arc<AtomicBool>), String> {
    let mut n = notify_rust::Notification::new();
    n.appname("Switchboard").summary(&text.summary).body(&text.body).action("default", "Open").hint(notify_rust::Hint::Category(category.into()));
    if let Some(previous) = replaces {
        n.id(previous.id);
    }
    let handle = n.show().map_err(|e| format!("the notification could not be shown: {e}"))?;
    let id = handle.id();
    // Replaced while still up: the thread already waiting for it opens the same conversation,
    // so a busy conversation does not pile up a thread and a bus connection per message.
    if let Some(previous) = replaces.filter(|p| p.id == id && p.waiting.load(Ordering::Acquire)) {
        return Ok((id, previous.waiting.clone()));
    }
    let waiting = Arc::new(AtomicBool::new(true));
    let done = waiting.clone();
    // The daemon answers a click on its own time (or closes the notification); a thread waits.
    std::thread::spawn(move || {
        handle.wait_for_action(|action| {
            if action == "default" {
                on_open(conversation);
            }
        });
        done.store(false, Ordering::Release);
    });
    Ok((id, waiting))
}

fn clock_words(kind: ClockKind) -> &'static str {
    match kind {
        ClockKind::FirstReply => "first reply overdue",
        ClockKind::NextReply => "reply overdue",
        ClockKind::Resolution => "resolution overdue",
    }
}

/// Shows a notification for each new customer message the workspace announces, and for each
/// breach of a conversation assigned to this desk's agent, as the settings allow; `on_open`
/// runs with the conversation when the agent clicks one. Runs until the returned task is
/// aborted or the workspace's events end.
pub fn watch(workspace: Arc<Workspace>, on_open: impl Fn(i64) + Send + Sync + 'static) -> tokio::task::JoinHandle<()> {
    let notifier = Arc::new(Notifier::default());
    let on_open = Arc::new(on_open);
    let mut events = workspace.subscribe();
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            let (workspace, notifier, on_open) = (workspace.clone(), notifier.clone(), on_open.clone());
            // Reading the settings and the D-Bus calls block: off the async threads.
            let _ = tokio::task::spawn_blocking(move || {
                let open = move |conversation| on_open(conversation);
                let settings = || workspace.run(NotificationSettingsRequest {}).unwrap_or_default();
                let shown = match event {
                    Event::Messages { from_customers, .. } if !from_customers.is_empty() => {
                        let settings = settings();
                        from_customers.iter().try_for_each(|m| notifier.notify(&settings, m, open.clone()).map(|_| ()))
                    }
                    Event::Mentioned { conversation, by, preview } => notifier.mention(&settings(), conversation, &by, &preview, open).map(|_| ()),
                    // A breach notifies the agent it is assigned to.
                    Event::Breach { conversation, kind, assignee } if assignee.as_deref() == Some(workspace.me().as_str()) => {
                        let what = workspace.run(ThreadRequest { conversation }).map(|t| {
                            let who = t.contact.map(|c| c.name).or(t.conversation.customer).unwrap_or_default();
                            format!("{who} · {}: {}", t.conversation.channel, clock_words(kind))
                        });
                        notifier.breach(&settings(), conversation, &what.unwrap_or_default(), open).map(|_| ())
                    }
                    Event::Read { conversation } => {
                        notifier.seen(conversation);
                        Ok(())
                    }
                    _ => Ok(()),
                };
                if let Err(e) = shown {
                    tracing::warn!(error = %e, "notification not shown");
                }
            })
            .await;
        }
    })
}

#[cfg(test)]
mod daemon_test;

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::model::Channel;

    fn message(channel: Channel) -> CustomerMessage {
        CustomerMessage {
            conversation: 7,
            channel,
            sender: "Lena Ortiz".into(),
            preview: "Where is order 1043?".into(),
            at: "2026-11-30T09:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn settings_and_age_decide_and_the_text_counts() {
        let now: jiff::Timestamp = "2026-11-30T09:01:00Z".parse().unwrap();
        let on = NotificationSettings::default();
        assert!(wanted(&on, &message(Channel::Telegram), now));
        let dnd = NotificationSettings { do_not_disturb: true, ..Default::default() };
        assert!(!wanted(&dnd, &message(Channel::Telegram), now));
        let no_sms = NotificationSettings { muted_channels: vec![Channel::Sms], ..Default::default() };
        assert!(!wanted(&no_sms, &message(Channel::Sms), now) && wanted(&no_sms, &message(Channel::X), now));
        // History arriving now (a first sync, a reconnect) is unread, not a notification.
        let written = message(Channel::Telegram).at;
        assert!(wanted(&on, &message(Channel::Telegram), written + FRESH));
        assert!(!wanted(&on, &message(Channel::Telegram), written + FRESH + jiff::SignedDuration::from_secs(1)));
        assert_eq!(
            text(&message(Channel::Telegram), 3),
            Text { summary: "Lena Ortiz · telegram".into(), body: "3 new messages: Where is order 1043?".into() }
        );
    }
}
