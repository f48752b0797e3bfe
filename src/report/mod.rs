//! Reports: one writer per output format, behind one enum. The diagnosis hands over a
//! [`Diagnosis`]; nothing here decides anything, it only prints.
//!
//! `events.rs` writes `evident events` output; the other files write `evident scan` output.

pub mod csv;
pub mod events;
pub mod json;
pub mod markdown;
pub mod table;

use std::io::{self, Write};

use crate::diagnose::Diagnosis;

/// The output formats of `evident scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    /// A summary table per host, then each finding with its why, evidence and fix.
    Table,
    /// One JSON document with a versioned schema (docs/scan-json.md).
    Json,
    /// One JSON object per line (findings, hosts, coverage, errors, stats), for SIEMs.
    Jsonl,
    /// One row per finding, with formula-injection guards.
    Csv,
    /// Markdown, for tickets.
    Md,
}

/// Writes `diagnosis` to `out` in `format`.
pub fn write_scan(
    format: ScanFormat,
    diagnosis: &Diagnosis,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ScanFormat::Table => table::write(diagnosis, out),
        ScanFormat::Json => json::write_document(diagnosis, out),
        ScanFormat::Jsonl => json::write_lines(diagnosis, out),
        ScanFormat::Csv => csv::write(diagnosis, out),
        ScanFormat::Md => markdown::write(diagnosis, out),
    }
}

/// A time as the human formats print it.
pub(crate) fn human_time(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| t.strftime("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".into())
}

/// `name=value` pairs of an evidence record, cut to a readable length.
pub(crate) fn fields_line(fields: &[crate::event::Field], max: usize) -> String {
    let mut out = String::new();
    for f in fields {
        if !out.is_empty() {
            out.push_str("  ");
        }
        let value: String = f.value.chars().filter(|c| !c.is_control()).collect();
        out.push_str(&f.name);
        out.push('=');
        out.push_str(&value);
    }
    if out.chars().count() > max {
        let cut: String = out.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        out
    }
}
