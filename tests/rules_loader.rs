//! Malformed rule files: each problem is one `file:line:col` line, and the other rules load.

use std::path::Path;

use evident::rules::loader::{load_dir, load_str};
use evident::rules::model::{Correlate, Level, RuleKind};

const GOOD: &str = r#"evident: 1
id: tls-test
title: TLS mismatch (test)
severity: high
status: experimental
description: The client and server share no TLS version.
references:
  - title: Schannel events
    url: https://learn.microsoft.com/
signals:
  no_common_cipher:
    side: server
    logsource:
      provider: Schannel
      channel: System
      event_id: [36874, 36888]
    detection:
      sel:
        EventID: 36874
        Protocol|re: '^TLS 1\.[01]$'
      filter:
        Protocol|contains: '1.2'
      condition: sel and not filter
    evidence: [Protocol]
diagnosis:
  window: 2m
  top: [ClientIP]
  confidence:
    - when: no_common_cipher and client_disconnect
      correlate: client_server
      level: high
      why: "Schannel 36874 on {server} {delta} after the client's {client_disconnect.Value} disconnect"
    - when: no_common_cipher
      min_count: 2
      min_distinct: { field: ClientIP, count: 2 }
      level: medium
      why: "Schannel 36874 on {host}, {count} times"
fix:
  - side: server
    text: Enable TLS 1.2.
    registry: 'HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL'
    risk: low
    risk_note: Reboot required.
"#;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// The (line, col, message) of the single error `text` gives.
fn one_error(text: &str) -> (usize, usize, String) {
    let e = load_str("x.yaml", text).expect_err("the rule should be refused");
    let line = e.to_string();
    assert!(
        line.starts_with(&format!("x.yaml:{}:{}: ", e.line, e.column)),
        "{line}"
    );
    assert!(!line.contains('\n'), "one line: {line}");
    (e.line, e.column, e.message)
}

#[test]
fn a_good_rule_loads_with_its_parts() {
    let rule = load_str("good.yaml", GOOD).unwrap();
    assert_eq!(rule.id(), "tls-test");
    assert_eq!(rule.def.kind, RuleKind::Cause);
    assert_eq!(rule.def.severity, Level::High);
    let d = rule.def.diagnosis.as_ref().unwrap();
    assert_eq!(d.window.as_secs(), 120);
    assert_eq!(d.confidence[0].correlate, Correlate::ClientServer);
    assert_eq!(d.confidence[1].correlate, Correlate::SameHost);
    assert_eq!(d.confidence[0].when.expr.positive_leaves().len(), 2);
    // Evidence plus the diagnosis's top and min_distinct fields are kept.
    assert_eq!(rule.signals[0].keep_fields, vec!["Protocol", "ClientIP"]);
}

#[test]
fn bad_yaml_points_at_the_syntax_error() {
    let (line, _, msg) = one_error("evident: 1\nid: broken\ntitle: [unclosed\n");
    assert!(line >= 3, "line {line}: {msg}");
}

#[test]
fn unknown_key_points_at_the_key() {
    let text = GOOD.replace("    evidence: [Protocol]", "    evidense: [Protocol]");
    let (line, col, msg) = one_error(&text);
    assert_eq!((line, col), (24, 5), "{msg}");
    assert!(msg.contains("unknown field `evidense`"), "{msg}");
}

#[test]
fn bad_regex_points_at_the_value() {
    let text = GOOD.replace(r"'^TLS 1\.[01]$'", r"'^TLS 1\.[01$'");
    let (line, col, msg) = one_error(&text);
    assert_eq!((line, col), (20, 22), "{msg}");
    assert!(msg.contains("bad regex"), "{msg}");
}

#[test]
fn unknown_modifier_points_at_the_key() {
    let text = GOOD.replace("Protocol|contains:", "Protocol|contians:");
    let (line, col, msg) = one_error(&text);
    assert_eq!((line, col), (22, 9), "{msg}");
    assert!(msg.contains("unknown modifier `contians`"), "{msg}");
}

#[test]
fn unknown_selection_points_at_the_condition() {
    let text = GOOD.replace(
        "condition: sel and not filter",
        "condition: sel and not filtre",
    );
    let (line, col, msg) = one_error(&text);
    assert_eq!((line, col), (23, 18), "{msg}");
    assert!(msg.contains("unknown selection `filtre`"), "{msg}");
}

#[test]
fn unknown_signal_in_when_points_at_the_when() {
    let text = GOOD.replace("- when: no_common_cipher\n", "- when: no_common_ciper\n");
    let (line, col, msg) = one_error(&text);
    assert_eq!((line, col), (33, 13), "{msg}");
    assert!(msg.contains("unknown signal `no_common_ciper`"), "{msg}");
}

#[test]
fn other_value_errors_are_located() {
    let (line, _, msg) = one_error(&GOOD.replace("window: 2m", "window: 2 minutes"));
    assert_eq!(line, 26, "{msg}");
    let (line, _, msg) = one_error(&GOOD.replace("evident: 1", "evident: 2"));
    assert_eq!(line, 1, "{msg}");
    let (line, _, msg) = one_error(&GOOD.replace("id: tls-test", "id: TLS_Test"));
    assert_eq!(line, 2, "{msg}");
    let (line, _, msg) = one_error(&GOOD.replace("risk: low", "risk: tiny"));
    assert_eq!(line, 42, "{msg}");
    let (line, _, msg) = one_error(&GOOD.replace("{host}, {count}", "{hots}, {count}"));
    assert_eq!(line, 37, "{msg}");
    assert!(msg.contains("{hots}"), "{msg}");
    let (line, _, msg) = one_error(&GOOD.replace(
        "- when: no_common_cipher\n",
        "- when: no_common_cipher and\n",
    ));
    assert_eq!(line, 33, "{msg}");
    let (line, _, msg) = one_error(&GOOD.replace("  no_common_cipher:\n", "  No-Common:\n"));
    assert_eq!(line, 11, "{msg}");
}

#[test]
fn a_folder_with_broken_rules_loads_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a-good.yaml", GOOD);
    write(
        dir.path(),
        "b-good.yml",
        &GOOD.replace("id: tls-test", "id: other-test"),
    );
    write(
        dir.path(),
        "c-bad-yaml.yaml",
        "evident: 1\nid: broken\ntitle: [unclosed\n",
    );
    write(
        dir.path(),
        "d-unknown-key.yaml",
        &GOOD.replace("status:", "statuz:"),
    );
    write(
        dir.path(),
        "e-bad-regex.yaml",
        &GOOD.replace(r"[01]$'", r"[01$'"),
    );
    write(
        dir.path(),
        "f-modifier.yaml",
        &GOOD.replace("|contains:", "|containz:"),
    );
    write(
        dir.path(),
        "g-condition.yaml",
        &GOOD.replace("and not filter", "and not flter"),
    );
    write(dir.path(), "h-duplicate.yaml", GOOD);
    write(dir.path(), "notes.txt", "not a rule");
    let (rules, errors) = load_dir(dir.path());
    let ids: Vec<&str> = rules.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["tls-test", "other-test"]);
    let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    for (line, file) in lines.iter().zip([
        "c-bad-yaml.yaml",
        "d-unknown-key.yaml",
        "e-bad-regex.yaml",
        "f-modifier.yaml",
        "g-condition.yaml",
        "h-duplicate.yaml",
    ]) {
        let re = regex::Regex::new(&format!(r"{}:\d+:\d+: \S", regex::escape(file))).unwrap();
        assert!(re.is_match(line), "{line}");
    }
    assert!(lines[5].contains("already used"), "{}", lines[5]);
}

const SCHANNEL_TLS10: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Schannel' Guid='{1f678132-5938-4686-9fdc-c8ff68f15c85}'/><EventID>36874</EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='2026-03-10T07:53:00.7330005Z'/><EventRecordID>103273</EventRecordID><Correlation/><Execution ProcessID='812' ThreadID='5728'/><Channel>System</Channel><Computer>RDS-ENG01.corp.fabrikam.com</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='Protocol'>TLS 1.0</Data></EventData></Event>";
const SCM_7036: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Service Control Manager' EventSourceName='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID><Level>4</Level><TimeCreated SystemTime='2026-03-10T03:01:16.1452544Z'/><EventRecordID>103244</EventRecordID><Channel>System</Channel><Computer>RDS-ENG01</Computer></System><EventData><Data Name='param1'>Remote Desktop Services</Data><Data Name='param2'>stopped</Data></EventData></Event>";

fn with_examples(matching: &str, not_matching: &str) -> String {
    format!(
        "{GOOD}examples:\n  match:\n    - signal: no_common_cipher\n      event: \"{matching}\"\n  no_match:\n    - event: \"{not_matching}\"\n"
    )
}

#[test]
fn examples_run_and_failures_point_at_the_example() {
    use evident::rules::examples::{read_example_event, run_examples};
    let rule = load_str("ex.yaml", &with_examples(SCHANNEL_TLS10, SCM_7036)).unwrap();
    let outcome = run_examples(&rule, &read_example_event);
    assert_eq!(outcome.run, 2);
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);

    // Swapped: the match example does not match, the no_match example does.
    let rule = load_str("ex.yaml", &with_examples(SCM_7036, SCHANNEL_TLS10)).unwrap();
    let outcome = run_examples(&rule, &read_example_event);
    let lines: Vec<String> = outcome.failures.iter().map(|f| f.to_string()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(
            "ex.yaml:47:14: example should match signal `no_common_cipher` but its provider"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(
            "ex.yaml:49:14: example should match no signal but matches `no_common_cipher`"
        ),
        "{}",
        lines[1]
    );

    // TLS 1.2 is filtered out by the detection.
    let tls12 = SCHANNEL_TLS10.replace("TLS 1.0", "TLS 1.2");
    let rule = load_str("ex.yaml", &with_examples(&tls12, SCM_7036)).unwrap();
    let outcome = run_examples(&rule, &read_example_event);
    assert_eq!(outcome.failures.len(), 1);
    assert!(outcome.failures[0]
        .message
        .contains("the detection does not hold"));

    // An example that is not XML is a failure, not a panic.
    let rule = load_str("ex.yaml", &with_examples("<Event><System>", SCM_7036)).unwrap();
    assert_eq!(run_examples(&rule, &read_example_event).failures.len(), 1);
}

#[test]
fn an_example_naming_an_unknown_signal_is_a_load_error() {
    let text = with_examples(SCHANNEL_TLS10, SCM_7036)
        .replace("- signal: no_common_cipher", "- signal: nope");
    let (line, col, msg) = one_error(&text);
    assert_eq!((line, col), (46, 15), "{msg}");
}

#[test]
fn hostile_rule_files_are_refused_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a-good.yaml", GOOD);
    // Too large.
    write(dir.path(), "b-huge.yaml", &"#".repeat(2 * 1024 * 1024));
    // Nested far past any sane rule.
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    write(
        dir.path(),
        "c-deep.yaml",
        &format!("evident: 1\nid: deep\ntitle: {deep}\n"),
    );
    // A condition nested far past any sane rule.
    let cond = format!("{}sel{}", "(".repeat(5_000), ")".repeat(5_000));
    write(
        dir.path(),
        "d-cond.yaml",
        &GOOD.replace("sel and not filter", &cond),
    );
    // Not UTF-8.
    std::fs::write(dir.path().join("e-binary.yaml"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    // Alias expansion bomb.
    let mut bomb = String::from("evident: 1\nid: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        bomb.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    write(dir.path(), "f-bomb.yaml", &bomb);
    let (rules, errors) = load_dir(dir.path());
    assert_eq!(rules.len(), 1);
    let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(lines.iter().all(|l| !l.contains('\n')), "{lines:#?}");
}
