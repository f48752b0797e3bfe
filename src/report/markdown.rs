//! `--format md`: a Markdown report for tickets. Every piece of text that comes from a log is
//! escaped, so an event field cannot inject links, HTML or table structure.

use std::io::{self, Write};

use crate::diagnose::{Diagnosis, Finding, RuleKind};

use super::{fields_line, human_time};

/// Escapes text for Markdown inline context: backslash-escapes the punctuation Markdown
/// gives meaning to, turns `<`/`>`/`&` into entities, and line breaks into spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | '"' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A code span that holds `text` whatever backticks it contains.
fn code(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut fence = String::from("`");
    while clean.contains(fence.as_str()) {
        fence.push('`');
    }
    format!("{fence} {clean} {fence}")
}

pub fn write(d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# evident scan")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} finding(s) on {} host(s); {} records in {} file(s); {} read error(s).",
        d.stats.findings,
        d.hosts.len(),
        d.stats.records,
        d.stats.files,
        d.stats.errors
    )?;
    writeln!(out)?;
    writeln!(out, "## Summary")?;
    writeln!(out)?;
    writeln!(
        out,
        "| # | Host | Cause | Confidence | Evidence | First seen | Last seen |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for f in &d.findings {
        writeln!(
            out,
            "| {} | {} | {}{} | {} | {} | {} | {} |",
            f.rank,
            escape(&f.host),
            escape(&f.title),
            if f.kind == RuleKind::Background {
                " (background)"
            } else {
                ""
            },
            f.confidence,
            f.evidence_count,
            human_time(f.first_seen),
            human_time(f.last_seen)
        )?;
    }
    if d.findings.is_empty() {
        writeln!(out, "| - | - | no finding | - | - | - | - |")?;
    }
    for f in &d.findings {
        finding(f, out)?;
    }
    writeln!(out)?;
    writeln!(out, "## Coverage")?;
    writeln!(out)?;
    for h in &d.coverage.hosts {
        let logs: Vec<String> = h
            .logs
            .iter()
            .map(|l| {
                format!(
                    "{} ({} records)",
                    escape(l.channel.as_deref().unwrap_or("unknown channel")),
                    l.records
                )
            })
            .collect();
        writeln!(out, "- **{}**: {}", escape(&h.host), logs.join(", "))?;
        if !h.missing.is_empty() {
            let missing: Vec<String> = h.missing.iter().map(|m| escape(&m.channel)).collect();
            writeln!(out, "  - not given: {}", missing.join(", "))?;
        }
    }
    for a in &d.coverage.absent {
        writeln!(
            out,
            "- absent: {} at {}: {} expected on {}: {}",
            escape(&a.client),
            human_time(Some(a.time)),
            escape(&a.expected),
            escape(&a.server),
            escape(&a.meaning)
        )?;
    }
    for n in &d.coverage.notes {
        writeln!(out, "- {}", escape(n))?;
    }
    if !d.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Errors")?;
        writeln!(out)?;
        for e in &d.errors {
            writeln!(out, "- {}", escape(&e.to_string()))?;
        }
    }
    Ok(())
}

fn finding(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "## {}. {} on {} ({})",
        f.rank,
        escape(&f.title),
        escape(&f.host),
        f.confidence
    )?;
    writeln!(out)?;
    writeln!(out, "**Why:** {}", escape(&f.why))?;
    writeln!(out)?;
    if !f.client_errors.is_empty() {
        writeln!(
            out,
            "**Client error:** {}",
            escape(&f.client_errors.join("; "))
        )?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} record(s) in {} incident(s), {} to {}.",
        f.evidence_count,
        f.incidents,
        human_time(f.first_seen),
        human_time(f.last_seen)
    )?;
    for t in &f.top {
        let values: Vec<String> = t
            .values
            .iter()
            .map(|v| format!("{} ×{}", escape(&v.value), v.count))
            .collect();
        writeln!(out, "Top {}: {}.", escape(&t.field), values.join(", "))?;
    }
    writeln!(out)?;
    writeln!(out, "**Evidence:**")?;
    writeln!(out)?;
    for e in &f.evidence {
        writeln!(
            out,
            "- {} {} {} {} record {}: {} ({})",
            human_time(e.time),
            escape(&e.host),
            escape(&e.provider),
            e.event_id,
            e.record_id
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into()),
            escape(&fields_line(&e.fields, 300)),
            escape(&e.file)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "**Fix:**")?;
    writeln!(out)?;
    for (i, s) in f.fix.iter().enumerate() {
        writeln!(out, "{}. \\[{}\\] {}", i + 1, s.side, escape(&s.text))?;
        if let Some(c) = &s.command {
            writeln!(out, "   - command: {}", code(c))?;
        }
        if let Some(r) = &s.registry {
            writeln!(out, "   - registry: {}", code(r))?;
        }
        if let Some(p) = &s.policy {
            writeln!(out, "   - policy: {}", escape(p))?;
        }
        let note = s
            .risk_note
            .as_deref()
            .map(|n| format!(": {}", escape(n)))
            .unwrap_or_default();
        writeln!(out, "   - risk: {}{}", s.risk, note)?;
    }
    if let Some(u) = &f.unconfirmed {
        writeln!(out)?;
        writeln!(out, "**Not established:** {}", escape(u))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_text_cannot_inject_markup() {
        assert_eq!(
            escape("[click](http://x) <img src=x> | a"),
            "\\[click\\]\\(http://x\\) &lt;img src=x&gt; \\| a"
        );
        assert_eq!(escape("line1\nline2"), "line1 line2");
        assert_eq!(code("a`b"), "`` a`b ``");
    }
}
