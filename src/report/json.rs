//! `--format json` (one document, schema in docs/scan.schema.json) and `--format jsonl`
//! (one object per line, each with a `type` and the schema `version`).

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnose::{Diagnosis, SCAN_SCHEMA_VERSION};

/// Identifies the document for a reader that gets it without context.
pub const SCHEMA_NAME: &str = "evident-scan";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    version: u32,
    tool: String,
    #[serde(flatten)]
    diagnosis: &'a Diagnosis,
}

fn tool() -> String {
    format!("evident {}", env!("CARGO_PKG_VERSION"))
}

/// The whole diagnosis as one pretty-printed JSON document.
pub fn write_document(diagnosis: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema: SCHEMA_NAME,
        version: SCAN_SCHEMA_VERSION,
        tool: tool(),
        diagnosis,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u32,
    #[serde(flatten)]
    item: &'a T,
}

fn line<T: Serialize>(out: &mut dyn Write, kind: &'static str, item: &T) -> io::Result<()> {
    serde_json::to_writer(
        &mut *out,
        &Line {
            kind,
            version: SCAN_SCHEMA_VERSION,
            item,
        },
    )?;
    out.write_all(b"\n")
}

/// One JSON object per line: every finding, every host, the coverage, every error, the stats.
pub fn write_lines(diagnosis: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    for f in &diagnosis.findings {
        line(out, "finding", f)?;
    }
    for h in &diagnosis.hosts {
        line(out, "host", h)?;
    }
    line(out, "coverage", &diagnosis.coverage)?;
    for e in &diagnosis.errors {
        line(out, "error", e)?;
    }
    line(out, "stats", &diagnosis.stats)
}
