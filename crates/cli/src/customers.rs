//! `switchboard customer …` and `switchboard canned …`: the profile panel and the canned-reply
//! library for scripts. Customer text is made printable before it reaches the terminal.

use anyhow::Result;
use clap::Subcommand;
use std::io::Write;
use switchboard_core::model::{printable, CustomerProfile};
use switchboard_core::Store;

#[derive(Subcommand)]
pub enum CustomerCommand {
    /// A customer's fields, handles, conversations, orders and merges
    Show {
        /// The customer's number or id (`search --contacts` lists them)
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Make customer B part of customer A (undo with `unmerge`)
    Merge { a: String, b: String },
    /// Undo a merge: the merged-in customer comes back as it was
    Unmerge {
        /// The merge's number (`customer show` lists them)
        merge: i64,
    },
}

#[derive(Subcommand)]
pub enum CannedCommand {
    /// The library: shortcut, title, variants
    List {
        #[arg(long)]
        json: bool,
    },
    /// A canned reply as it would be sent in a conversation
    Render {
        shortcut: String,
        #[arg(long)]
        conversation: i64,
        #[arg(long)]
        json: bool,
    },
}

/// The agent at this desk, as the app names them.
fn agent() -> String {
    std::env::var("SWITCHBOARD_AGENT").or_else(|_| std::env::var("USER")).ok().filter(|a| !a.trim().is_empty()).unwrap_or_else(|| "agent".into())
}

pub fn customer(store: &mut Store, command: CustomerCommand) -> Result<()> {
    match command {
        CustomerCommand::Show { id, json } => {
            let profile = store.customer(store.customer_id(&id)?)?;
            if json {
                crate::print_json(&profile)
            } else {
                show(&profile, &mut std::io::stdout().lock())
            }
        }
        CustomerCommand::Merge { a, b } => {
            let (keep, absorb) = (store.customer_id(&a)?, store.customer_id(&b)?);
            let merge = store.merge_customers(keep, absorb, Some(&agent()))?;
            println!("merged {} into customer {keep} (merge {}; undo with `customer unmerge {}`)", printable(&merge.absorbed_name), merge.id, merge.id);
            Ok(())
        }
        CustomerCommand::Unmerge { merge } => {
            let restored = store.unmerge(merge)?;
            println!("customer {restored} is separate again");
            Ok(())
        }
    }
}

fn show(p: &CustomerProfile, out: &mut dyn Write) -> Result<()> {
    let c = &p.contact;
    writeln!(out, "{} ({}, {}){}", printable(&c.name), c.id, c.uid, c.status.as_deref().map(|s| format!(" · {}", printable(s))).unwrap_or_default())?;
    for (label, value) in [("email", &c.email), ("phone", &c.phone), ("language", &c.language)] {
        if let Some(v) = value {
            writeln!(out, "  {label:<10} {}", printable(v))?;
        }
    }
    if let Some(zone) = &c.time_zone {
        let local = jiff::tz::TimeZone::get(zone).map(|tz| jiff::Timestamp::now().to_zoned(tz).strftime("%a %H:%M").to_string()).unwrap_or_default();
        writeln!(out, "  {:<10} {zone} (now {local})", "time zone")?;
    }
    if !p.tags.is_empty() {
        writeln!(out, "  {:<10} {}", "tags", printable(&p.tags.join(", ")))?;
    }
    if let Some(notes) = &p.notes {
        writeln!(out, "  {:<10} {}", "notes", printable(notes).replace('\n', "\n             "))?;
    }
    writeln!(out, "handles")?;
    for i in &p.identities {
        writeln!(out, "  {:<28} {} {}", i.account, printable(&i.handle), printable(i.display_name.as_deref().unwrap_or("")))?;
    }
    writeln!(out, "conversations")?;
    for r in &p.conversations {
        let at = r.last_message_at.map(|t| t.strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
        writeln!(out, "  {:<6} {:<10} {:<8} {at}", r.id, r.channel, r.status)?;
    }
    let checked = p.orders_checked_at.map(|t| format!(" (looked up {})", t.strftime("%Y-%m-%d %H:%M"))).unwrap_or_default();
    writeln!(out, "orders{checked}")?;
    if let Some(e) = &p.orders_error {
        writeln!(out, "  last lookup failed: {}", printable(e))?;
    }
    for o in &p.orders {
        writeln!(out, "  {}", printable(&switchboard_core::templates::order_summary(o)).replace('\n', "\n    "))?;
    }
    if !p.merges.is_empty() {
        writeln!(out, "merges")?;
        for m in &p.merges {
            writeln!(out, "  {:<6} {} (merged {})", m.id, printable(&m.absorbed_name), m.merged_at.strftime("%Y-%m-%d %H:%M"))?;
        }
    }
    Ok(())
}

pub fn canned(store: &Store, command: CannedCommand) -> Result<()> {
    match command {
        CannedCommand::List { json } => {
            let replies = store.canned_replies()?;
            if json {
                return crate::print_json(&replies);
            }
            let mut out = std::io::stdout().lock();
            for r in &replies {
                let variants: Vec<String> = r
                    .variants
                    .iter()
                    .map(|v| match (&v.language, v.channel) {
                        (None, None) => "any".to_owned(),
                        (l, ch) => [l.clone(), ch.map(|c| c.to_string())].into_iter().flatten().collect::<Vec<_>>().join("/"),
                    })
                    .collect();
                writeln!(out, "/{:<14} {}  [{}]", r.shortcut, printable(&r.title), variants.join(", "))?;
            }
            Ok(())
        }
        CannedCommand::Render { shortcut, conversation, json } => {
            let rendered = store.render_canned(&shortcut, conversation, &agent())?;
            if json {
                return crate::print_json(&rendered);
            }
            println!("{}", printable(&rendered.text));
            if !rendered.unfilled.is_empty() {
                let names: Vec<String> = rendered.unfilled.iter().map(|u| format!("{{{{{}}}}}", u.placeholder)).collect();
                anyhow::bail!("not filled, so it cannot be sent as it is: {}", names.join(", "));
            }
            Ok(())
        }
    }
}
