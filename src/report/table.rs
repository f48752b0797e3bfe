//! The default output: per host a table of its findings (cause, confidence, evidence count,
//! first and last seen), then each finding with its why, key evidence and numbered fix steps,
//! then coverage and errors.

use std::io::{self, Write};

use comfy_table::{presets, ContentArrangement, Table};

use crate::diagnose::{Diagnosis, Finding, RuleKind};

use super::{fields_line, human_time};

const WIDTH: u16 = 120;

fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::ASCII_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH)
        .set_header(header.to_vec());
    t
}

/// Strips control characters (escape sequences included) from text that came from a log.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control())
        .collect()
}

pub fn write(d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    let causes = d
        .findings
        .iter()
        .filter(|f| f.kind == RuleKind::Cause)
        .count();
    let background = d.findings.len() - causes;
    writeln!(
        out,
        "evident scan: {causes} cause(s), {background} background finding(s) on {} host(s); \
         {} records in {} file(s), {} read error(s); {} client attempt(s), {} failed",
        d.hosts.len(),
        d.stats.records,
        d.stats.files,
        d.stats.errors,
        d.stats.attempts,
        d.stats.failed_attempts
    )?;
    for h in &d.hosts {
        writeln!(out)?;
        let roles: Vec<String> = h.roles.iter().map(|r| r.to_string()).collect();
        writeln!(
            out,
            "Host {} ({}): {} file(s), {} records, {} to {}",
            clean(&h.name),
            if roles.is_empty() {
                "role unknown".to_string()
            } else {
                roles.join(", ")
            },
            h.files,
            h.records,
            human_time(h.first_seen),
            human_time(h.last_seen)
        )?;
        let mine: Vec<&Finding> = d.findings.iter().filter(|f| f.host == h.name).collect();
        if mine.is_empty() {
            writeln!(out, "  no findings")?;
            continue;
        }
        let mut t = new_table(&[
            "#",
            "Cause",
            "Confidence",
            "Evidence",
            "First seen",
            "Last seen",
        ]);
        for f in mine {
            let title = if f.kind == RuleKind::Background {
                format!("{} (background)", f.title)
            } else {
                f.title.clone()
            };
            t.add_row(vec![
                f.rank.to_string(),
                clean(&title),
                f.confidence.to_string(),
                f.evidence_count.to_string(),
                human_time(f.first_seen),
                human_time(f.last_seen),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    for f in &d.findings {
        finding(f, out)?;
    }
    coverage(d, out)?;
    if !d.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "Read errors ({}):", d.errors.len())?;
        for e in d.errors.iter().take(50) {
            writeln!(out, "  {}", clean(&e.to_string()))?;
        }
        if d.errors.len() > 50 {
            writeln!(
                out,
                "  ... and {} more (see --format json)",
                d.errors.len() - 50
            )?;
        }
    }
    Ok(())
}

fn finding(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "[{}] {} on {}: {} confidence{}",
        f.rank,
        clean(&f.title),
        clean(&f.host),
        f.confidence,
        if f.kind == RuleKind::Background {
            " (background: not blamed for a user's failure without correlation)"
        } else {
            ""
        }
    )?;
    writeln!(out, "    Why: {}", clean(&f.why))?;
    if !f.client_errors.is_empty() {
        writeln!(
            out,
            "    Client: {} saw {}",
            clean(&f.clients.join(", ")),
            clean(&f.client_errors.join("; "))
        )?;
    }
    writeln!(
        out,
        "    Seen: {} record(s) in {} incident(s), {} to {}",
        f.evidence_count,
        f.incidents,
        human_time(f.first_seen),
        human_time(f.last_seen)
    )?;
    for t in &f.top {
        let values: Vec<String> = t
            .values
            .iter()
            .map(|v| format!("{} ({})", clean(&v.value), v.count))
            .collect();
        writeln!(out, "    Top {}: {}", clean(&t.field), values.join(", "))?;
    }
    writeln!(out, "    Evidence:")?;
    for e in &f.evidence {
        writeln!(
            out,
            "      {} {} {} {} #{}  {}",
            human_time(e.time),
            clean(&e.host),
            clean(&e.provider),
            e.event_id,
            e.record_id
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into()),
            clean(&fields_line(&e.fields, 160))
        )?;
        writeln!(out, "        in {}", clean(&e.file))?;
    }
    if !f.fix.is_empty() {
        writeln!(out, "    Fix:")?;
    }
    for (i, s) in f.fix.iter().enumerate() {
        writeln!(out, "      {}. [{}] {}", i + 1, s.side, s.text.trim())?;
        if let Some(c) = &s.command {
            writeln!(out, "         command:  {}", c.trim())?;
        }
        if let Some(r) = &s.registry {
            writeln!(out, "         registry: {}", r.trim())?;
        }
        if let Some(p) = &s.policy {
            writeln!(out, "         policy:   {}", p.trim())?;
        }
        match &s.risk_note {
            Some(n) => writeln!(out, "         risk:     {}: {}", s.risk, n.trim())?,
            None => writeln!(out, "         risk:     {}", s.risk)?,
        }
    }
    if let Some(u) = &f.unconfirmed {
        writeln!(out, "    Not established: {}", u.trim())?;
    }
    Ok(())
}

fn coverage(d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    let c = &d.coverage;
    writeln!(out)?;
    writeln!(out, "Coverage:")?;
    for h in &c.hosts {
        let logs: Vec<String> = h
            .logs
            .iter()
            .map(|l| {
                format!(
                    "{} ({})",
                    clean(l.channel.as_deref().unwrap_or("unknown channel")),
                    l.records
                )
            })
            .collect();
        writeln!(out, "  {}: {}", clean(&h.host), logs.join(", "))?;
        if !h.missing.is_empty() {
            let missing: Vec<&str> = h.missing.iter().map(|m| m.channel.as_str()).collect();
            writeln!(out, "    not given: {}", missing.join(", "))?;
        }
    }
    for l in &c.unattributed {
        writeln!(
            out,
            "  host unknown: {} ({} records) in {}",
            clean(l.channel.as_deref().unwrap_or("unknown channel")),
            l.records,
            clean(&l.files.join(", "))
        )?;
    }
    for a in &c.absent {
        writeln!(
            out,
            "  absent: {} -> {} at {}: no {}; {}",
            clean(&a.client),
            clean(&a.server),
            human_time(Some(a.time)),
            a.expected,
            a.meaning
        )?;
    }
    for n in &c.notes {
        writeln!(out, "  note: {}", clean(n))?;
    }
    Ok(())
}
