//! Desktop notifications for new customer messages, through the desktop's notification daemon
//! (org.freedesktop.Notifications on D-Bus, by notify-rust). One notification per conversation:
//! a second message replaces the first and says how many are new. Do-not-disturb and per-channel
//! switches are settings in the store.

use crate::commands::{CustomerMessage, NotificationSettings};
use std::collections::HashMap;
use std::sync::Mutex;

/// What the notifier remembers of a conversation's notification: the daemon's id (to replace
/// it) and how many messages it stands for.
#[derive(Debug, Clone, Copy)]
struct Shown {
    id: u32,
    count: u32,
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

/// Whether `settings` let a message from this channel notify.
pub fn wanted(settings: &NotificationSettings, m: &CustomerMessage) -> bool {
    settings.enabled && !settings.do_not_disturb && !settings.muted_channels.contains(&m.channel)
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
        if !wanted(settings, m) {
            return Ok(None);
        }
        let previous = self.shown.lock().expect("notifier lock").get(&m.conversation).copied();
        let count = previous.map_or(1, |p| p.count + 1);
        let id = show(&text(m, count), previous.map(|p| p.id), "im.received", m.conversation, on_open)?;
        self.shown.lock().expect("notifier lock").insert(m.conversation, Shown { id, count });
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
        show(&text, None, "im.error", conversation, on_open).map(Some)
    }

    /// The agent opened the conversation: its next notification starts afresh.
    pub fn seen(&self, conversation: i64) {
        self.shown.lock().expect("notifier lock").remove(&conversation);
    }
}

/// Shows a notification (replacing `replaces`) with an Open action for `conversation`.
fn show(text: &Text, replaces: Option<u32>, category: &str, conversation: i64, on_open: impl FnOnce(i64) + Send + 'static) -> Result<u32, String> {
    let mut n = notify_rust::Notification::new();
    n.appname("Switchboard").summary(&text.summary).body(&text.body).action("default", "Open").hint(notify_rust::Hint::Category(category.into()));
    if let Some(id) = replaces {
        n.id(id);
    }
    let handle = n.show().map_err(|e| format!("the notification could not be shown: {e}"))?;
    let id = handle.id();
    // The daemon answers a click on its own time; a thread waits for it.
    std::thread::spawn(move || {
        handle.wait_for_action(|action| {
            if action == "default" {
                on_open(conversation);
            }
        })
    });
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::model::Channel;

    fn message(channel: Channel) -> CustomerMessage {
        CustomerMessage { conversation: 7, channel, sender: "Lena Ortiz".into(), preview: "Where is order 1043?".into() }
    }

    #[test]
    fn settings_decide_and_the_text_counts() {
        let on = NotificationSettings::default();
        assert!(wanted(&on, &message(Channel::Telegram)));
        let dnd = NotificationSettings { do_not_disturb: true, ..Default::default() };
        assert!(!wanted(&dnd, &message(Channel::Telegram)));
        let no_sms = NotificationSettings { muted_channels: vec![Channel::Sms], ..Default::default() };
        assert!(!wanted(&no_sms, &message(Channel::Sms)) && wanted(&no_sms, &message(Channel::X)));
        assert_eq!(
            text(&message(Channel::Telegram), 3),
            Text { summary: "Lena Ortiz · telegram".into(), body: "3 new messages: Where is order 1043?".into() }
        );
    }
}
