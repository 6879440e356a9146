//! Importing an interchange file (JSON Lines) through the same upserter a sync writes with.
//!
//! One transaction: every good line is stored, or (on a storage failure such as a full disk)
//! none is. Lines are applied a chunk at a time under one savepoint; a chunk with a bad record
//! in it is rolled back and applied again record by record, each under its own savepoint, so
//! only the bad lines are skipped. Cost is linear in the file: nothing is redone per line but
//! the line's own writes.

use super::Upserter;
use crate::error::{describe_json, Error, Result};
use crate::interchange::{ImportReport, LineError, Record};
use crate::store::Store;
use std::io::BufRead;

/// Lines applied under one savepoint. Every statement inside it keeps its own statement journal,
/// and releasing one walks the in-memory journal the chunk has grown so far: a large chunk costs
/// its square (1,000 lines: 34,000 messages/s at 1 M; 64: 44,000; one a line: 38,000, the
/// savepoints themselves then being the cost). `cargo xtask bench import`.
const CHUNK: usize = 64;

/// Where an import stands: for a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportProgress {
    /// Lines read so far.
    pub lines: usize,
    /// Bytes read so far.
    pub bytes: u64,
}

impl Store {
    /// Imports a JSON Lines stream: see the module's doc. Bad lines (not UTF-8, not JSON, not a
    /// record, or a record that does not fit the store) are reported by number and skipped.
    pub fn import_jsonl(&mut self, input: impl BufRead) -> Result<ImportReport> {
        self.import_jsonl_reporting(input, |_| {})
    }

    /// `import_jsonl`, telling `progress` where it stands after each chunk of lines.
    pub fn import_jsonl_reporting(&mut self, mut input: impl BufRead, mut progress: impl FnMut(ImportProgress)) -> Result<ImportReport> {
        // A large file is a backlog, as an initial sync is: the larger page cache while it lasts.
        self.set_catching_up(true)?;
        let imported = self.transaction(|tx| {
            let mut report = ImportReport::default();
            let mut upserter = Upserter::from_file(tx);
            let mut chunk = Chunk::default();
            let mut line = Vec::new();
            let mut at = ImportProgress::default();
            loop {
                line.clear();
                let read = input
                    .read_until(b'\n', &mut line)
                    .map_err(|e| Error::invalid(format!("line {}: cannot read: {e}", at.lines + 1)))?;
                if read == 0 {
                    break;
                }
                at.lines += 1;
                at.bytes += read as u64;
                match parse(&line) {
                    Ok(Some(record)) => chunk.push(at.lines, record),
                    Ok(None) => {}
                    Err(message) => report.errors.push(LineError { line: at.lines, message }),
                }
                if chunk.records.len() == CHUNK {
                    chunk.apply(&mut upserter, &mut report)?;
                    progress(at);
                }
            }
            chunk.apply(&mut upserter, &mut report)?;
            report.errors.sort_by_key(|e| e.line);
            upserter.finish()?;
            progress(at);
            Ok(report)
        });
        let resized = self.set_catching_up(false);
        let report = imported?;
        resized?;
        Ok(report)
    }
}

/// A line as a record: `None` for a blank line, else what is wrong with it, in words that never
/// quote it.
fn parse(line: &[u8]) -> std::result::Result<Option<Record>, String> {
    let Ok(text) = std::str::from_utf8(line) else {
        return Err("not UTF-8 text".into());
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text).map(Some).map_err(|e| describe_json(&e))
}

/// Records waiting to be applied, with their line numbers.
#[derive(Default)]
struct Chunk {
    lines: Vec<usize>,
    records: Vec<Record>,
}

impl Chunk {
    fn push(&mut self, line: usize, record: Record) {
        self.lines.push(line);
        self.records.push(record);
    }

    /// Applies the chunk (all of it, or record by record when one of them does not fit) and
    /// empties it.
    fn apply(&mut self, upserter: &mut Upserter<'_>, report: &mut ImportReport) -> Result<()> {
        if self.records.is_empty() {
            return Ok(());
        }
        match upserter.guarded(|u| u.apply_all(&self.records)) {
            Ok(changed) => {
                report.records += self.records.len();
                report.changed += changed;
            }
            Err(Error::Invalid(_) | Error::Missing { .. }) => {
                for (line, record) in self.lines.iter().zip(&self.records) {
                    match upserter.guarded(|u| u.apply(record)) {
                        Ok(changed) => {
                            report.records += 1;
                            report.changed += changed as usize;
                        }
                        Err(e @ (Error::Invalid(_) | Error::Missing { .. })) => report.errors.push(LineError { line: *line, message: e.to_string() }),
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
        self.lines.clear();
        self.records.clear();
        Ok(())
    }
}
