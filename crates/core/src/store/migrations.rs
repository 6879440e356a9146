//! Numbered schema migrations. `PRAGMA user_version` holds the number of migrations applied;
//! each runs in its own transaction with the version bump, so a crash leaves a whole version.

use crate::error::Result;
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_schema.sql"),
    include_str!("migrations/0002_search.sql"),
    include_str!("migrations/0003_search_filters.sql"),
    include_str!("migrations/0004_outbox_delivery.sql"),
    include_str!("migrations/0005_outbox_template.sql"),
    include_str!("migrations/0006_account_state_detail.sql"),
    include_str!("migrations/0007_email.sql"),
    include_str!("migrations/0008_settings.sql"),
    include_str!("migrations/0009_customers.sql"),
    include_str!("migrations/0010_sla.sql"),
    include_str!("migrations/0011_privacy.sql"),
    include_str!("migrations/0012_rules.sql"),
    include_str!("migrations/0013_acknowledgements.sql"),
    include_str!("migrations/0014_public.sql"),
    include_str!("migrations/0015_sla_due.sql"),
    include_str!("migrations/0016_sla_fresh_on_refresh.sql"),
    include_str!("migrations/0017_attachment_file_id.sql"),
    include_str!("migrations/0018_unsolved_as_ors.sql"),
    include_str!("migrations/0019_flagged_first.sql"),
    include_str!("migrations/0020_drafts.sql"),
    include_str!("migrations/0021_team.sql"),
    include_str!("migrations/0022_handed.sql"),
    include_str!("migrations/0023_team_actions.sql"),
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub(crate) fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

pub(crate) fn migrate(conn: &mut Connection, target: i64) -> Result<()> {
    let current = version(conn)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().take(target as usize).skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "migrated store schema");
    }
    Ok(())
}
