//! `switchboard sla`: every open conversation's policy and clocks, most urgent first.

use anyhow::Result;
use switchboard_core::sla::{Clock, ClockKind, ClockState};
use switchboard_core::store::SlaView;
use switchboard_core::Store;

/// A span of business time as an agent reads it: 45m, 3h05m, 2d4h.
fn span(seconds: i64) -> String {
    let m = seconds.unsigned_abs() / 60;
    match m {
        m if m < 60 => format!("{m}m"),
        m if m < 24 * 60 => format!("{}h{:02}m", m / 60, m % 60),
        m => format!("{}d{}h", m / (24 * 60), (m / 60) % 24),
    }
}

fn cell(clock: Option<&Clock>) -> String {
    match clock {
        None => "-".into(),
        Some(c) => match c.state {
            ClockState::Achieved => "met".into(),
            ClockState::Paused => format!("paused, {} left", span(c.remaining_seconds)),
            ClockState::Active => format!("{} left", span(c.remaining_seconds)),
            ClockState::Breached => format!("over by {}", span(c.remaining_seconds)),
        },
    }
}

pub fn run(store: &mut Store, json: bool, at: Option<jiff::Timestamp>) -> Result<()> {
    store.seed_sla_defaults(&switchboard_core::sla::local_zone())?;
    let now = at.unwrap_or_else(jiff::Timestamp::now);
    let mut views: Vec<SlaView> = store.sla_open(now)?;
    views.sort_by_key(|v| v.most_urgent().map_or((9, 0), |c| c.urgency()));
    if json {
        return crate::print_json(&views);
    }
    println!("{:<7} {:<14} {:<24} {:<24} {:<24}", "ID", "POLICY", "FIRST REPLY", "NEXT REPLY", "RESOLUTION");
    for v in &views {
        let of = |kind| v.clocks.iter().find(|c| c.kind == kind);
        println!(
            "{:<7} {:<14} {:<24} {:<24} {:<24}",
            v.conversation,
            v.policy.as_deref().unwrap_or("(none)"),
            cell(of(ClockKind::FirstReply)),
            cell(of(ClockKind::NextReply)),
            cell(of(ClockKind::Resolution)),
        );
    }
    Ok(())
}
