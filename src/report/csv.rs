//! `--format csv`: one row per finding.
//!
//! A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return) is prefixed with `'`, as OWASP's CSV-injection guidance advises: the
//! evidence comes from logs that an attacker can write into (user names, workstation names).

use std::io::{self, Write};

use crate::diagnose::Diagnosis;

/// Neutralizes a cell that a spreadsheet would evaluate.
pub fn guard(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

pub const HEADER: [&str; 16] = [
    "rank",
    "rule_id",
    "title",
    "kind",
    "host",
    "confidence",
    "correlated",
    "first_seen",
    "last_seen",
    "evidence_count",
    "incidents",
    "clients",
    "client_errors",
    "why",
    "evidence",
    "fix",
];

fn to_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

pub fn write(diagnosis: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER).map_err(to_io)?;
    for f in &diagnosis.findings {
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {} {}",
                    super::human_time(e.time),
                    e.host,
                    e.provider,
                    e.event_id,
                    super::fields_line(&e.fields, 200)
                )
            })
            .collect();
        let fix: Vec<String> = f
            .fix
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut step = format!("{}. [{}] {}", i + 1, s.side, s.text);
                if let Some(c) = &s.command {
                    step.push_str(&format!(" Command: {c}"));
                }
                step.push_str(&format!(" Risk: {}", s.risk));
                step
            })
            .collect();
        let row = [
            f.rank.to_string(),
            f.rule_id.clone(),
            f.title.clone(),
            format!("{:?}", f.kind).to_ascii_lowercase(),
            f.host.clone(),
            f.confidence.to_string(),
            f.correlated.to_string(),
            f.first_seen.map(|t| t.to_string()).unwrap_or_default(),
            f.last_seen.map(|t| t.to_string()).unwrap_or_default(),
            f.evidence_count.to_string(),
            f.incidents.to_string(),
            f.clients.join("; "),
            f.client_errors.join("; "),
            f.why.clone(),
            evidence.join("\n"),
            fix.join("\n"),
        ];
        w.write_record(row.iter().map(|c| guard(c)))
            .map_err(to_io)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralized() {
        assert_eq!(
            guard("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(guard("+1"), "'+1");
        assert_eq!(guard("-2+3"), "'-2+3");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("\tx"), "'\tx");
        assert_eq!(guard("SRV01"), "SRV01");
        assert_eq!(guard(""), "");
    }
}
