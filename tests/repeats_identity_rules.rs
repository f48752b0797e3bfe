//! A scan's signals for a flood whose records differ only in their identity (time, record id,
//! process, thread) are those of the records matched one by one, also for rules that read
//! those fields (`EventRecordID`, `ProcessID`, `ThreadID`, `TimeCreated`: named in
//! docs/RULES.md as fields a detection may test).

use std::path::PathBuf;
use std::sync::Mutex;

use evident::engine::SignalSink;
use evident::event::Event;
use evident::evtx_write::xml_to_evtx;
use evident::rules::RuleSet;
use evident::signal::Signal;
use evident::source::{read_inputs, EventSink, ReadPlan, RecordHead};

/// A record of the flood: the same but for its identity.
fn event(i: u32) -> String {
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
         <Provider Name='Schannel' Guid='{{1f678132-5938-4686-9fdc-c8ff68f15c85}}'/>\
         <EventID>36874</EventID><Version>0</Version><Level>2</Level><Task>0</Task>\
         <Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>\
         <TimeCreated SystemTime='2026-03-10T03:{i:02}:16.1452544Z'/>\
         <EventRecordID>{}</EventRecordID><Correlation/>\
         <Execution ProcessID='{}' ThreadID='{}'/><Channel>System</Channel>\
         <Computer>SRV1.corp.example.com</Computer><Security UserID='S-1-5-18'/></System>\
         <EventData><Data Name='Protocol'>TLS 1.0</Data></EventData></Event>",
        100 + i,
        600 + i,
        900 + i
    )
}

/// A rule whose one signal tests `field` with `value` on Schannel 36874.
fn rule(id: &str, field: &str, value: &str) -> String {
    format!(
        "evident: 1
id: {id}
title: probe {id}
kind: cause
severity: high
status: stable
description: >
  A probe that reads {field}.
signals:
  probe:
    side: server
    logsource:
      provider: Schannel
      channel: System
      event_id: [36874]
    detection:
      sel:
        EventID: 36874
        {field}: {value}
      condition: sel
    evidence: [Protocol]
diagnosis:
  window: 2m
  confidence:
    - when: probe
      level: medium
      why: \"{{count}} times\"
fix:
  - side: server
    text: Nothing.
    risk: none
"
    )
}

/// Passes everything to a [`SignalSink`] as plain events (no repeats).
struct Plain<'s>(&'s SignalSink<'s>);

impl EventSink for Plain<'_> {
    fn wants_channel(&self, channel: &str) -> bool {
        self.0.wants_channel(channel)
    }
    fn wants(&self, head: &RecordHead<'_>) -> bool {
        self.0.wants(head)
    }
    fn accept(&self, event: Event) {
        self.0.accept(event)
    }
}

#[test]
fn rules_that_read_the_identity_match_each_record_of_a_flood() {
    let dir = tempfile::tempdir().unwrap();
    let xml: String = (0..8).map(event).collect();
    let log = dir.path().join("System.evtx");
    std::fs::write(
        &log,
        xml_to_evtx(&format!("<Events>{xml}</Events>")).unwrap(),
    )
    .unwrap();
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    let probes = [
        ("pid", "ProcessID", "603"),
        ("tid", "ThreadID|gte", "905"),
        ("rid", "EventRecordID|lt", "102"),
        ("time", "TimeCreated|startswith", "'2026-03-10T03:04'"),
        ("systime", "SystemTime|contains", "'03:06:'"),
    ];
    for (id, field, value) in probes {
        let file = rules_dir.join(format!("{id}.yaml"));
        std::fs::write(file, rule(&format!("probe-{id}"), field, value)).unwrap();
    }
    let (rules, errors) = RuleSet::load(Some(&rules_dir));
    assert!(errors.is_empty(), "{errors:?}");
    let inputs = vec![PathBuf::from(&log)];
    for threads in [1, 2] {
        let plan = ReadPlan { threads };
        let read = |repeats: bool| {
            let found = Mutex::new(Vec::new());
            let emit = |s: Signal| found.lock().unwrap().push(s);
            let sink = SignalSink::new(&rules, &emit);
            if repeats {
                read_inputs(&inputs, &plan, &sink);
            } else {
                read_inputs(&inputs, &plan, &Plain(&sink));
            }
            drop(sink);
            let mut probes: Vec<(String, Option<u64>)> = found
                .into_inner()
                .unwrap()
                .iter()
                .filter(|s| s.rule_id().starts_with("probe-"))
                .map(|s| (s.rule_id().to_string(), s.origin_record()))
                .collect();
            probes.sort();
            probes
        };
        let plain = read(false);
        let expected: Vec<(String, Option<u64>)> = [
            ("probe-pid", 103),
            ("probe-rid", 100),
            ("probe-rid", 101),
            ("probe-systime", 106),
            ("probe-tid", 105),
            ("probe-tid", 106),
            ("probe-tid", 107),
            ("probe-time", 104),
        ]
        .iter()
        .map(|(r, n)| (r.to_string(), Some(*n)))
        .collect();
        assert_eq!(plain, expected, "read in full");
        assert_eq!(read(true), plain, "{threads} threads, as the scan reads");
    }
}
