//! The engine on real files: the indexed, pre-filtered scan finds exactly the signals that
//! trying every signal on every record finds, and files no rule needs are skipped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use evident::engine::{collect_signals, sort_signals};
use evident::event::Event;
use evident::rules::loader::load_str;
use evident::rules::RuleSet;
use evident::signal::Signal;
use evident::source::{read_inputs, EventSink, ReadPlan};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("notice: ../shared/corpus is absent; skipping");
        None
    }
}

const RULES: &[&str] = &[
    r#"evident: 1
id: rdp-core
title: RdpCoreTS connections and failures
kind: context
severity: info
status: experimental
description: test
signals:
  server_connection:
    side: server
    logsource:
      provider: Microsoft-Windows-RemoteDesktopServices-RdpCoreTS
      channel: Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational
      event_id: 131
    detection:
      sel: { ClientIP|exists: true }
      condition: sel
    evidence: [ClientIP, ConnType]
  not_131:
    side: server
    logsource:
      provider: Microsoft-Windows-RemoteDesktopServices-RdpCoreTS
      channel: Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational
      event_id: [98, 102, 103, 140, 148, 168, 104]
    detection:
      any: { EventID|gt: 0 }
      noisy: { EventID: [102] }
      condition: any and not noisy
"#,
    r#"evident: 1
id: sys-test
title: System events
severity: low
status: experimental
description: test
signals:
  service_state:
    side: server
    logsource: { provider: Service Control Manager, channel: System, event_id: [7036, 7040, 7045] }
    detection:
      sel_a: { param2|contains: [stopped, 'running'] }
      sel_b: { param1|startswith: 'Windows' }
      condition: 1 of sel_*
    evidence: [param1, param2]
  logons:
    side: server
    logsource: { provider: Microsoft-Windows-Security-Auditing, channel: Security, event_id: [4624, 4625] }
    detection:
      sel: { LogonType: [3, 10] }
      filter: { IpAddress: ['-', '127.0.0.1', null] }
      condition: sel and not filter
    evidence: [IpAddress, TargetUserName, LogonType]
diagnosis:
  confidence:
    - when: service_state or logons
      level: low
      why: "{count}"
"#,
];

fn rules() -> RuleSet {
    RuleSet::new(
        RULES
            .iter()
            .map(|t| load_str("t.yaml", t).unwrap())
            .collect(),
    )
}

struct Everything(Mutex<Vec<Event>>);
impl EventSink for Everything {
    fn accept(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

/// Every signal of every rule tried on every record, with no index and no pre-filter.
fn brute_force(paths: &[PathBuf], rules: &RuleSet) -> Vec<Signal> {
    let all = Everything(Mutex::new(Vec::new()));
    read_inputs(paths, &ReadPlan { threads: 1 }, &all);
    let mut out = Vec::new();
    for event in all.0.into_inner().unwrap() {
        let mut hits = Vec::new();
        for rule in rules.rules() {
            for (sig, (_, spec)) in rule.signals.iter().zip(&rule.def.signals.0) {
                let ls = &spec.logsource;
                if ls
                    .provider
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&event.provider.name))
                    && ls.event_id.contains(&event.event_id)
                    && sig.matcher.matches(&event)
                {
                    hits.push((rule, sig));
                }
            }
        }
        // Each signal with a copy of its own: the fields its rule keeps.
        for (rule, sig) in hits {
            out.push(Signal::new(
                rule.id().into(),
                sig.name.as_str().into(),
                sig.side,
                Arc::new(evident::engine::evidence_event(&event, &sig.keep_fields)),
            ));
        }
    }
    sort_signals(&mut out);
    out
}

/// A signal as its diagnosis sees it: its names, side, and the record with its own fields.
fn own_view(s: &Signal) -> (String, String, evident::signal::Side, Event) {
    let mut event = s.record().into_owned();
    event.fields = s.fields().cloned().collect();
    (
        s.rule_id().to_string(),
        s.signal_id().to_string(),
        s.side(),
        event,
    )
}

#[test]
fn indexed_scan_equals_brute_force_on_real_files() {
    let Some(corpus) = corpus() else { return };
    let files = [
        "dfir-museum/Win2012R2-StolenSzechuan/Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        "evtx-attack-samples/Other/rdpcorets_148_mst120_bluekeep_rpdscan_full.evtx",
        "evtx-crate-samples/2-vss_7-System.evtx",
        "evtx-attack-samples/Command and Control/DE_RDP_Tunneling_4624.evtx",
        "dfir-museum/Win2012R2-StolenSzechuan/Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx",
    ];
    let paths: Vec<PathBuf> = files.iter().map(|f| corpus.join(f)).collect();
    let rules = rules();
    let expected = brute_force(&paths, &rules);
    for threads in [1, 2] {
        let (mut found, summary) = collect_signals(&paths, &rules, &ReadPlan { threads });
        let found = found.in_order();
        assert!(
            !summary.has_errors(),
            "{:?}",
            summary.errors().collect::<Vec<_>>()
        );
        assert_eq!(found.len(), expected.len(), "threads {threads}");
        // The scan's signals of one record share it: each is compared by what it sees.
        assert!(
            found
                .iter()
                .map(|s| own_view(s))
                .eq(expected.iter().map(own_view)),
            "threads {threads}: signals differ"
        );
    }
    let count = |sig: &str| {
        expected
            .iter()
            .filter(|s| s.signal_id().as_ref() == sig)
            .count()
    };
    eprintln!(
        "server_connection {}, not_131 {}, service_state {}, logons {}",
        count("server_connection"),
        count("not_131"),
        count("service_state"),
        count("logons")
    );
    assert!(count("server_connection") > 100);
    assert!(count("not_131") > 0);
    assert!(count("service_state") > 0);
    assert!(count("logons") > 0);
    // Evidence fields only.
    let s = expected
        .iter()
        .find(|s| s.signal_id().as_ref() == "server_connection")
        .unwrap();
    let record = s.record();
    let names: Vec<&str> = record.fields.iter().map(|f| &*f.name).collect();
    assert!(
        names.iter().all(|n| ["ClientIP", "ConnType"].contains(n)),
        "{names:?}"
    );
    assert!(names.contains(&"ClientIP"));
}

#[test]
fn files_of_unwanted_channels_are_skipped() {
    let Some(corpus) = corpus() else { return };
    let only_rdpcore = RuleSet::new(vec![load_str("t.yaml", RULES[0]).unwrap()]);
    let paths = vec![
        corpus.join("evtx-crate-samples/2-vss_7-System.evtx"),
        corpus.join("evtx-attack-samples/Other/rdpcorets_148_mst120_bluekeep_rpdscan_full.evtx"),
    ];
    let (mut found, summary) = collect_signals(&paths, &only_rdpcore, &ReadPlan { threads: 1 });
    let found = found.in_order();
    let system = summary
        .sources
        .iter()
        .find(|s| s.file.ends_with("2-vss_7-System.evtx"))
        .unwrap();
    assert!(system.skipped, "{system:?}");
    assert!(system.records <= 1, "{system:?}");
    let rdp = summary
        .sources
        .iter()
        .find(|s| s.file.ends_with("rpdscan_full.evtx"))
        .unwrap();
    assert!(!rdp.skipped);
    assert_eq!(rdp.records, 733);
    assert!(found.iter().all(|s| s.rule_id().as_ref() == "rdp-core"));
    assert!(!found.is_empty());
}
