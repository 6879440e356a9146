//! Desktop notifications for new customer messages, through the desktop's notification daemon
//! (org.freedesktop.Notifications on D-Bus, by notify-rust). One notification per conversation:
//! a second message replaces the first and says how many are new. Do-not-disturb and per-channel
//! switches are settings in the store. Only what a customer wrote in the last minutes notifies:
//! history coming in (a new account's first sync, a reconnect after a night) only counts as
//! unread, rather than a notification per conversation.

use crate::commands::{CustomerMessage, NotificationSettings};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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
