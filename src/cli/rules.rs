//! `evident rules check|list|show`: validate a rule folder (and run every example), list the
//! rules, explain one rule to a human.

use std::path::PathBuf;

use super::ExitStatus;
use crate::rules::examples::{run_examples, xml_event_reader};
use crate::rules::{loader, Rule, RuleSet};

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Validate rule files and run their examples; exit 2 on any problem.
    Check(CheckArgs),
    /// One line per rule: id, kind, severity, title.
    List(RulesArgs),
    /// Explain one rule: cause, signals, confidence logic, fixes with risks, references.
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Add rules from this folder (a rule with an embedded rule's id replaces it).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The folder to check; without it, the embedded rule pack (plus `--rules`).
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub extra: RulesArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The rule id, e.g. `tls-mismatch`.
    pub id: String,
    #[command(flatten)]
    pub extra: RulesArgs,
}

pub fn run(cmd: RulesCommand) -> ExitStatus {
    match cmd {
        RulesCommand::Check(args) => check(args),
        RulesCommand::List(args) => list(args),
        RulesCommand::Show(args) => show(args),
    }
}

fn check(args: CheckArgs) -> ExitStatus {
    let (rules, mut problems) = match &args.dir {
        Some(dir) => {
            let (rules, errors) = loader::load_dir(dir);
            match &args.extra.rules {
                Some(extra) => {
                    let (more, errs) = loader::load_dir(extra);
                    let mut errors = errors;
                    errors.extend(errs);
                    (crate::rules::merge(rules, more), errors)
                }
                None => (rules, errors),
            }
        }
        None => {
            let (set, errors) = RuleSet::load(args.extra.rules.as_deref());
            (set.rules().to_vec(), errors)
        }
    };
    let mut examples = 0;
    match xml_event_reader() {
        Some(parse) => {
            for rule in &rules {
                let outcome = run_examples(rule, &parse);
                examples += outcome.run;
                problems.extend(outcome.failures);
            }
        }
        None => eprintln!("note: examples not run: this build has no XML event reader"),
    }
    for p in &problems {
        println!("{p}");
    }
    let signals: usize = rules.iter().map(|r| r.signals.len()).sum();
    if problems.is_empty() {
        println!(
            "{} rules, {signals} signals, {examples} examples: all hold",
            rules.len()
        );
        ExitStatus::Clean
    } else {
        println!(
            "{} rules loaded, {signals} signals, {examples} examples: {} problem{}",
            rules.len(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        ExitStatus::Errors
    }
}

fn load(args: &RulesArgs) -> (RuleSet, ExitStatus) {
    let (set, errors) = RuleSet::load(args.rules.as_deref());
    for e in &errors {
        eprintln!("{e}");
    }
    let status = if errors.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Errors
    };
    (set, status)
}

fn list(args: RulesArgs) -> ExitStatus {
    let (set, status) = load(&args);
    let width = set.rules().iter().map(|r| r.id().len()).max().unwrap_or(0);
    for r in set.rules() {
        println!(
            "{:width$}  {:10}  {:6}  {}",
            r.id(),
            r.def.kind.to_string(),
            r.def.severity.to_string(),
            r.def.title
        );
    }
    status
}

fn show(args: ShowArgs) -> ExitStatus {
    let (set, status) = load(&args.extra);
    match set.get(&args.id) {
        Some(rule) => {
            print!("{}", describe(rule));
            status
        }
        None => {
            eprintln!(
                "evident rules show: no rule `{}` (see `evident rules list`)",
                args.id
            );
            ExitStatus::Errors
        }
    }
}

fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 92 {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The human description `rules show` prints.
pub fn describe(rule: &Rule) -> String {
    use std::fmt::Write as _;
    let d = &rule.def;
    let mut s = String::new();
    let _ = writeln!(s, "{}  ({})", d.title, d.id);
    let _ = writeln!(
        s,
        "kind {}, severity {}, status {}; from {}",
        d.kind, d.severity, d.status, rule.file
    );
    s.push('\n');
    s.push_str(&wrap(&d.description, ""));
    if let Some(u) = &d.unconfirmed {
        s.push_str("\nUNCONFIRMED:\n");
        s.push_str(&wrap(u, "  "));
    }
    s.push_str("\nSignals:\n");
    for (name, spec) in &d.signals.0 {
        let ls = &spec.logsource;
        let ids: Vec<String> = ls.event_id.iter().map(|i| i.to_string()).collect();
        let _ = writeln!(
            s,
            "  {name} ({} side): {} event {}{}",
            spec.side,
            ls.provider.join(" / "),
            ids.join(", "),
            if ls.channel.is_empty() {
                String::new()
            } else {
                format!(" in {}", ls.channel.join(", "))
            }
        );
        if let Some(sig) = rule.signal(name) {
            let fields = sig.detection.fields();
            if !fields.is_empty() {
                let _ = writeln!(s, "    tests: {}", fields.join(", "));
            }
        }
        if !spec.evidence.is_empty() {
            let _ = writeln!(s, "    evidence: {}", spec.evidence.join(", "));
        }
    }
    if let Some(diag) = &d.diagnosis {
        let _ = writeln!(
            s,
            "\nConfidence (first that holds, incident window {}s):",
            diag.window.as_secs()
        );
        for c in &diag.confidence {
            let mut extra = Vec::new();
            if let Some(n) = c.min_count {
                extra.push(format!("at least {n} matches"));
            }
            if let Some(md) = &c.min_distinct {
                extra.push(format!("at least {} distinct {}", md.count, md.field));
            }
            let _ = writeln!(
                s,
                "  {:6}  when {} [{}{}]",
                c.level.to_string(),
                c.when.text,
                c.correlate,
                if extra.is_empty() {
                    String::new()
                } else {
                    format!("; {}", extra.join(", "))
                }
            );
            s.push_str(&wrap(&c.why, "          "));
        }
        if !diag.top.is_empty() {
            let _ = writeln!(s, "  lists the most frequent {}", diag.top.join(", "));
        }
    }
    if !d.fix.is_empty() {
        s.push_str("\nFix:\n");
        for (i, f) in d.fix.iter().enumerate() {
            let _ = writeln!(s, "  {}. [{}] {}", i + 1, f.side, f.text.trim());
            if let Some(c) = &f.command {
                let _ = writeln!(s, "     command:  {}", c.trim());
            }
            if let Some(r) = &f.registry {
                let _ = writeln!(s, "     registry: {}", r.trim());
            }
            if let Some(p) = &f.policy {
                let _ = writeln!(s, "     policy:   {}", p.trim());
            }
            let _ = writeln!(
                s,
                "     risk: {}{}",
                f.risk,
                f.risk_note
                    .as_deref()
                    .map(|n| format!(" ({})", n.trim()))
                    .unwrap_or_default()
            );
        }
    }
    if !d.references.is_empty() {
        s.push_str("\nReferences:\n");
        for r in &d.references {
            let _ = writeln!(s, "  {}: {}", r.title, r.url);
        }
    }
    s
}
