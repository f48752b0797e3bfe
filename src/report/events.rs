//! Writers for `evident events`: normalized events as JSON lines, a JSON array, CSV, or a
//! plain table, streamed one event at a time (nothing is held back for sorting or widths).
//!
//! JSON and JSON lines are the serde form of [`Event`] (the library's normalized record),
//! written by [`crate::event_json`].
//! CSV has fixed columns, with the data fields as `name=value` pairs in one column, and guards
//! every cell against formula injection: a cell that starts with `=`, `+`, `-`, `@`, tab or
//! carriage return is prefixed with `'`, as OWASP recommends for spreadsheets.

use std::io::{self, Write};

use crate::event::Event;

/// The output formats of `evident events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// Comma-separated values with a header row.
    Csv,
    /// Aligned columns for reading in a terminal.
    Table,
}

/// Streams events to `out` in one format.
pub struct EventWriter<W: Write> {
    out: W,
    format: EventFormat,
    written: u64,
}

impl<W: Write> EventWriter<W> {
    /// Starts the output (writes a header where the format has one).
    pub fn new(mut out: W, format: EventFormat) -> io::Result<Self> {
        match format {
            EventFormat::Csv => out.write_all(
                b"time,computer,channel,provider,event_id,level,record_id,fields,message,origin\n",
            )?,
            EventFormat::Table => writeln!(
                out,
                "{:<28}  {:<20}  {:<6}  {:<40}  FIELDS",
                "TIME (UTC)", "COMPUTER", "ID", "PROVIDER"
            )?,
            EventFormat::Json => out.write_all(b"[")?,
            EventFormat::Jsonl => {}
        }
        Ok(EventWriter {
            out,
            format,
            written: 0,
        })
    }

    /// Writes one event.
    pub fn write(&mut self, event: &Event) -> io::Result<()> {
        let bytes = self.format.render(event);
        self.write_rendered(&bytes)
    }

    /// Writes one event already rendered with [`EventFormat::render`] (so that many threads
    /// can render while one writes).
    pub fn write_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.format == EventFormat::Json {
            self.out
                .write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
        }
        self.out.write_all(bytes)?;
        self.written += 1;
        Ok(())
    }

    /// Writes `count` JSON lines that lie end to end in `bytes` (each ending in a newline) in
    /// one call, for the JSON lines format; in another format, each line as an event.
    pub fn write_lines(&mut self, bytes: &[u8], count: u64) -> io::Result<()> {
        if self.format != EventFormat::Jsonl {
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                self.write_rendered(line.strip_suffix(b"\n").unwrap_or(line))?;
            }
            return Ok(());
        }
        self.out.write_all(bytes)?;
        self.written += count;
        Ok(())
    }

    /// Ends the output (closes the JSON array) and flushes.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == EventFormat::Json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }

    /// Events written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

impl EventFormat {
    /// One event in this format: a JSON line, a JSON array element (without the separator),
    /// a CSV row or a table row.
    pub fn render(self, event: &Event) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        self.render_into(event, &mut out);
        out
    }

    /// [`EventFormat::render`] appended to `out` (a buffer a writer thread reuses).
    pub fn render_into(self, event: &Event, out: &mut Vec<u8>) {
        match self {
            EventFormat::Jsonl => {
                crate::event_json::write_event(event, out);
                out.push(b'\n');
            }
            EventFormat::Json => crate::event_json::write_event(event, out),
            EventFormat::Csv => write_csv(out, event),
            EventFormat::Table => write_table(out, event),
        }
    }
}

fn write_csv(out: &mut Vec<u8>, e: &Event) {
    let fields = fields_text(e, "; ");
    let cells = [
        e.time.map(|t| t.to_string()).unwrap_or_default(),
        e.computer.to_string(),
        e.channel.to_string(),
        e.provider.name.to_string(),
        e.event_id.to_string(),
        e.level.map(|l| l.to_string()).unwrap_or_default(),
        e.record_id.map(|r| r.to_string()).unwrap_or_default(),
        fields,
        e.message.clone().unwrap_or_default(),
        e.origin.to_string(),
    ];
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(csv_cell(cell).as_bytes());
    }
    out.push(b'\n');
}

fn write_table(out: &mut Vec<u8>, e: &Event) {
    let time = e.time.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
    let mut fields = fields_text(e, "  ");
    fields = fields.replace(['\n', '\r', '\t'], " ");
    if fields.chars().count() > 160 {
        fields = fields.chars().take(159).collect::<String>() + "…";
    }
    let _ = writeln!(
        out,
        "{:<28}  {:<20}  {:<6}  {:<40}  {}",
        time, e.computer, e.event_id, e.provider.name, fields
    );
}

fn fields_text(e: &Event, separator: &str) -> String {
    e.fields
        .iter()
        .map(|f| format!("{}={}", f.name, f.value))
        .collect::<Vec<_>>()
        .join(separator)
}

/// One CSV cell: quoted when needed (RFC 4180), and defused when a spreadsheet would read it as
/// a formula.
pub fn csv_cell(value: &str) -> String {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Field, Provider};

    fn event() -> Event {
        Event {
            computer: "srv01".into(),
            channel: "System".into(),
            provider: Provider {
                name: "Schannel".into(),
                ..Provider::default()
            },
            event_id: 36874,
            fields: vec![Field::new("Protocol", "=HYPERLINK(\"x\")")],
            ..Event::default()
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
    }

    #[test]
    fn json_array_is_valid_and_jsonl_has_one_line_per_event() {
        let mut w = EventWriter::new(Vec::new(), EventFormat::Json).unwrap();
        w.write(&event()).unwrap();
        w.write(&event()).unwrap();
        let out = w.finish().unwrap();
        let parsed: Vec<Event> = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0], event());

        let mut w = EventWriter::new(Vec::new(), EventFormat::Jsonl).unwrap();
        w.write(&event()).unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn csv_output_guards_field_values() {
        let mut e = event();
        e.computer = "=cmd|' /C calc'!A0".into();
        let mut w = EventWriter::new(Vec::new(), EventFormat::Csv).unwrap();
        w.write(&e).unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        let row = out.lines().nth(1).unwrap();
        assert!(row.starts_with(",'=cmd|' /C calc'!A0,System,"), "{row}");
        assert!(row.contains("\"Protocol==HYPERLINK(\"\"x\"\")\""), "{row}");
    }
}
