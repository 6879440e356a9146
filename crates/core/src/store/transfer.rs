//! Import and export of the interchange format (JSON Lines; see `crate::interchange`).

use super::Store;
use crate::error::{Error, Result};
use crate::interchange::{ExportScope, ImportReport, LineError, Record};
use std::io::{BufRead, Write};

impl Store {
    /// Imports a JSON Lines stream in one transaction: either every good line is stored, or (on a
    /// storage failure such as a full disk) none is. Bad lines are reported and skipped.
    pub fn import_jsonl(&mut self, input: impl BufRead) -> Result<ImportReport> {
        self.transaction(|tx| {
            let mut report = ImportReport::default();
            let mut writer = crate::store::write::Writer::per_record(tx);
            for (index, line) in input.lines().enumerate() {
                let number = index + 1;
                let line = line.map_err(|e| Error::invalid(format!("line {number}: cannot read: {e}")))?;
                if line.trim().is_empty() {
                    continue;
                }
                let record: Record = match serde_json::from_str(&line) {
                    Ok(r) => r,
                    Err(e) => {
                        // serde_json's messages say where and what was expected, never the text.
                        report.errors.push(LineError { line: number, message: e.to_string() });
                        continue;
                    }
                };
                match writer.apply(&record) {
                    Ok(changed) => {
                        report.records += 1;
                        report.changed += changed as usize;
                    }
                    Err(e @ (Error::Invalid(_) | Error::Missing { .. })) => {
                        report.errors.push(LineError { line: number, message: e.to_string() })
                    }
                    Err(e) => return Err(e),
                }
            }
            writer.finish()?;
            Ok(report)
        })
    }

    /// Writes records as JSON Lines, in an order that imports cleanly (settings, then contacts,
    /// conversations, messages, notes, orders).
    pub fn export_jsonl(&self, scope: ExportScope, out: &mut dyn Write) -> Result<usize> {
        let mut count = 0;
        self.export_records(scope, &mut |record| {
            serde_json::to_writer(&mut *out, &record).map_err(|e| Error::Io(e.into()))?;
            out.write_all(b"\n")?;
            count += 1;
            Ok(())
        })?;
        out.flush()?;
        Ok(count)
    }
}
