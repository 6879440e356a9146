//! Small helpers shared by the store modules.

/// The conversation `c` is one whose SLA clocks run: not solved. As ORs, not `IN (…)`: see
/// migration 18. A query reads the partial indexes on it only when it writes the condition the
/// same way.
pub(crate) const UNSOLVED: &str = "(c.status = 'open' OR c.status = 'pending' OR c.status = 'on_hold')";

/// An upsert on `keys` that writes only when a value differs, so replaying a record changes no
/// row (and fires no trigger). `insert_only` columns are set on insert and then left alone.
/// Placeholders are numbered in the order keys, update, insert_only.
pub(crate) fn upsert_sql(table: &str, keys: &[&str], update: &[&str], insert_only: &[&str]) -> String {
    let all: Vec<&str> = keys.iter().chain(update).chain(insert_only).copied().collect();
    let placeholders: Vec<String> = (1..=all.len()).map(|i| format!("?{i}")).collect();
    let set: Vec<String> = update.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let excluded: Vec<String> = update.iter().map(|c| format!("excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {} WHERE ({}) IS NOT ({})",
        all.join(", "),
        placeholders.join(", "),
        keys.join(", "),
        set.join(", "),
        update.join(", "),
        excluded.join(", "),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn upsert_sql_numbers_placeholders_in_column_order() {
        assert_eq!(
            super::upsert_sql("t", &["k"], &["a", "b"], &["c"]),
            "INSERT INTO t (k, a, b, c) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (k) DO UPDATE SET a = excluded.a, \
             b = excluded.b WHERE (a, b) IS NOT (excluded.a, excluded.b)"
        );
    }
}
