//! `evident decode CODE [EXT]`: explain a client, TLS, HRESULT, NTSTATUS or session code — its
//! meaning, what it implies, the likely causes (with the rules that detect them) and which logs
//! to collect where. The knowledge is in [`crate::codes`]; this file only prints it.

use std::fmt::Write as _;
use std::io::Write as _;

use serde::Serialize;

use super::ExitStatus;
use crate::codes::{self, collect, Advice, Decoded, Family, Machine, Reading, Status};

/// Width the prose is wrapped to.
const WIDTH: usize = 96;

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    /// The code: decimal (2308) or hex (0x904, 904 with letters such as 8009030D, any case).
    pub code: String,
    /// An extended disconnect reason (the client's "extended error code"); then CODE is read as
    /// an mstsc disconnect reason.
    pub ext: Option<String>,
    /// Read CODE in one table only.
    #[arg(long, value_enum)]
    pub family: Option<FamilyArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Name the machines to collect logs from, without the PowerShell snippets.
    #[arg(long)]
    pub brief: bool,
}

/// The output formats of `decode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `--family` values (the library's [`Family`] keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FamilyArg {
    Disconnect,
    Extended,
    Negotiation,
    TlsAlert,
    Hresult,
    Ntstatus,
    LsmReason,
    SchannelState,
    EventId,
}

impl From<FamilyArg> for Family {
    fn from(f: FamilyArg) -> Family {
        match f {
            FamilyArg::Disconnect => Family::Disconnect,
            FamilyArg::Extended => Family::Extended,
            FamilyArg::Negotiation => Family::Negotiation,
            FamilyArg::TlsAlert => Family::TlsAlert,
            FamilyArg::Hresult => Family::Hresult,
            FamilyArg::Ntstatus => Family::Ntstatus,
            FamilyArg::LsmReason => Family::LsmReason,
            FamilyArg::SchannelState => Family::SchannelState,
            FamilyArg::EventId => Family::EventId,
        }
    }
}

pub fn run(args: DecodeArgs) -> ExitStatus {
    let decoded = match codes::decode_as(
        &args.code,
        args.ext.as_deref(),
        args.family.map(Family::from),
    ) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("evident decode: {e}");
            return ExitStatus::Errors;
        }
    };
    let out = match args.format {
        Format::Text => render_text(&decoded, args.brief),
        Format::Json => render_json(&decoded, &args),
    };
    // A closed pipe (`evident decode 0x904 | head`) is not an error.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitStatus::Clean
}

/// The human report. It never echoes the input as typed, so `0x904 0x7` and `2308 7` print the
/// same text.
pub fn render_text(d: &Decoded, brief: bool) -> String {
    let mut out = String::new();
    if let Some(ext) = &d.extended {
        reading_block(&mut out, &d.readings[0], "");
        reading_block(&mut out, ext, "");
        advice_block(&mut out, d.advice, "");
    } else if d.readings.len() == 1 {
        reading_block(&mut out, &d.readings[0], "");
        advice_block(&mut out, d.advice, "");
    } else {
        let _ = writeln!(
            out,
            "This number is in {} tables; most likely first (pick one with --family):\n",
            d.readings.len()
        );
        for (i, r) in d.readings.iter().enumerate() {
            let _ = write!(out, "{}. ", i + 1);
            reading_block(&mut out, r, "   ");
            advice_block(&mut out, r.advice, "   ");
        }
    }
    collect_block(&mut out, d, brief);
    out
}

fn reading_block(out: &mut String, r: &Reading, indent: &str) {
    let info = r.info;
    // Digits-only input read as hex is flagged, so "904" is not silently taken for 0x904.
    let hex_note = if r.assumed_hex {
        "  (digits read as hex)"
    } else {
        ""
    };
    let name = if info.name.is_empty() {
        "(no published name)"
    } else {
        info.name
    };
    let _ = writeln!(
        out,
        "{} {}: {}  {}{}",
        info.family.title(),
        r.display_value(),
        name,
        status_label(info.status),
        hex_note
    );
    wrap_into(out, info.meaning, &format!("{indent}  "));
    if !info.detail.is_empty() {
        wrap_into(out, info.detail, &format!("{indent}  "));
    }
    out.push('\n');
}

fn advice_block(out: &mut String, a: &Advice, indent: &str) {
    let _ = writeln!(out, "{indent}What it implies");
    wrap_into(out, a.implies, &format!("{indent}  "));
    if !a.causes.is_empty() {
        let _ = writeln!(out, "\n{indent}Likely causes, most likely first");
        for (i, c) in a.causes.iter().enumerate() {
            let text = match c.rule {
                Some(id) => format!("{}. {} [rule: {id}]", i + 1, c.text),
                None => format!("{}. {}", i + 1, c.text),
            };
            wrap_hanging(
                out,
                &text,
                &format!("{indent}  "),
                &format!("{indent}     "),
            );
        }
    }
    if !a.not_this.is_empty() {
        let _ = writeln!(out, "\n{indent}Not this (common misreadings)");
        for n in a.not_this {
            wrap_hanging(
                out,
                &format!("- {n}"),
                &format!("{indent}  "),
                &format!("{indent}    "),
            );
        }
    }
    out.push('\n');
}

fn collect_block(out: &mut String, d: &Decoded, brief: bool) {
    let machines = d.machines();
    let Some(first) = machines.first() else {
        return;
    };
    let where_ = match first {
        Machine::Server => "the cause is recorded on the server",
        Machine::Client => "the evidence is on the client",
        Machine::Gateway => "the cause is recorded on the RD Gateway",
        Machine::DomainController => "the cause is recorded on the domain controller",
    };
    let _ = writeln!(out, "Logs to collect ({where_}), in this order:");
    for m in &machines {
        let _ = writeln!(out, "  - {}", m.title());
    }
    if brief {
        return;
    }
    let _ = writeln!(
        out,
        "\nOn every machine, first paste this into an elevated PowerShell (§6.1):\n"
    );
    indent_code(out, collect::COMMON);
    for m in &machines {
        let _ = writeln!(out, "\n{}, then:\n", m.title());
        indent_code(out, m.snippet());
    }
    if d.needs_extra_logging() {
        let _ = writeln!(
            out,
            "\nFor more evidence, turn on extra logging before reproducing (then reproduce, then \
             export):\n"
        );
        indent_code(out, collect::EXTRA_LOGGING);
        let _ = writeln!(out, "\nRevert afterwards:\n");
        indent_code(out, collect::REVERT_EXTRA_LOGGING);
    }
    let _ = writeln!(
        out,
        "\nThen run: evident scan <the exported folders or zips>"
    );
}

fn indent_code(out: &mut String, code: &str) {
    for line in code.lines() {
        let _ = writeln!(out, "    {line}");
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Verified => "[V] verified",
        Status::Secondary => "[M] secondary sources",
        Status::Unconfirmed => "UNCONFIRMED",
    }
}

fn wrap_into(out: &mut String, text: &str, indent: &str) {
    wrap_hanging(out, text, indent, indent);
}

/// Word-wraps `text` to [`WIDTH`], the first line after `first`, the rest after `rest`.
fn wrap_hanging(out: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        out.push_str(&line);
        out.push('\n');
    }
}

/// The machine-readable report.
#[derive(Serialize)]
struct JsonReport<'a> {
    input: &'a str,
    extended_input: Option<&'a str>,
    #[serde(flatten)]
    decoded: &'a Decoded,
    collect: Vec<JsonCollect>,
    common_snippet: &'static str,
    extra_logging: Option<JsonExtra>,
}

#[derive(Serialize)]
struct JsonCollect {
    machine: Machine,
    title: &'static str,
    snippet: &'static str,
}

#[derive(Serialize)]
struct JsonExtra {
    enable: &'static str,
    revert: &'static str,
}

fn render_json(d: &Decoded, args: &DecodeArgs) -> String {
    let report = JsonReport {
        input: &args.code,
        extended_input: args.ext.as_deref(),
        decoded: d,
        collect: d
            .machines()
            .into_iter()
            .map(|m| JsonCollect {
                machine: m,
                title: m.title(),
                snippet: m.snippet(),
            })
            .collect(),
        common_snippet: collect::COMMON,
        extra_logging: d.needs_extra_logging().then_some(JsonExtra {
            enable: collect::EXTRA_LOGGING,
            revert: collect::REVERT_EXTRA_LOGGING,
        }),
    };
    match serde_json::to_string_pretty(&report) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Serializing plain structs of strings and numbers cannot fail; say so if it ever does.
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_long_text_with_indent() {
        let mut out = String::new();
        let text = "word ".repeat(60);
        wrap_hanging(&mut out, &text, "  ", "    ");
        for line in out.lines() {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
        assert!(out.lines().count() > 2);
        assert!(out.lines().nth(1).unwrap().starts_with("    word"));
    }
}
