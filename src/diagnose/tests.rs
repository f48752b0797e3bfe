//! Diagnosis scenarios built from hand-made signals and rules.

use std::sync::Arc;

use super::model::*;
use super::testutil::*;
use super::*;
use crate::signal::Side;

const TLS: &str = "tls-mismatch";

fn tls_rule() -> RuleView {
    rule(
        TLS,
        RuleKind::Cause,
        &[("no_common_cipher", Side::Server), ("client_failure", Side::Client)],
        vec![
            rung(
                "no_common_cipher and client_failure and not client_connected",
                Correlate::ClientServer,
                Level::High,
                "Schannel 36874 on {server} {delta} after the client's {client_failure.Value} attempt",
            ),
            rung(
                "no_common_cipher",
                Correlate::SameHost,
                Level::Medium,
                "Schannel 36874 on {host}, {count} times; nothing ties it to a client's attempt",
            ),
        ],
    )
}

fn blocked_rule() -> RuleView {
    rule(
        "network-blocked",
        RuleKind::Cause,
        &[("client_failure", Side::Client)],
        vec![
            rung(
                "client_failure and not server_connection",
                Correlate::ClientServer,
                Level::High,
                "{client}'s attempt to {target} failed and {server} logged no connection",
            ),
            rung(
                "client_failure",
                Correlate::SameHost,
                Level::High,
                "client failed on {host}",
            ),
        ],
    )
}

fn scanner_rule() -> RuleView {
    rule(
        "internet-exposure",
        RuleKind::Background,
        &[("probe", Side::Server)],
        vec![rung(
            "probe",
            Correlate::SameHost,
            Level::Medium,
            "{count} probes on {host}",
        )],
    )
}

fn book(rules: Vec<RuleView>) -> RuleBook {
    let mut all = vec![context_rule()];
    all.extend(rules);
    RuleBook { rules: all }
}

/// A failed attempt from WS042 to `srv01` at t=0 (activity A) whose server clock runs 30 s
/// ahead: the server accepts at its t=31 and refuses TLS at t=32.
fn tls_incident() -> Vec<Signal> {
    [
        failed_attempt(TLS, 0, 3, "A", "2308"),
        vec![
            sig(
                "rdp-connection",
                SERVER_CONNECTION,
                "SRV01.corp.example",
                31,
                &[("ClientIP", "10.0.0.42:50123")],
            ),
            sig(
                TLS,
                "no_common_cipher",
                "SRV01.corp.example",
                32,
                &[("Protocol", "TLS 1.0")],
            ),
        ],
    ]
    .concat()
}

fn run(signals: Vec<Signal>, book: &RuleBook) -> Diagnosis {
    let summary = summary_for(&signals, &[]);
    diagnose(signals, book, &summary, &DiagnoseOptions::default())
}

#[test]
fn correlated_server_evidence_ranks_first_with_high_confidence() {
    let b = book(vec![tls_rule()]);
    let mut signals = tls_incident();
    // Unrelated probes an hour later: the same event, with no attempt near it.
    for k in 0..50 {
        signals.push(sig(
            TLS,
            "no_common_cipher",
            "SRV01.corp.example",
            3600 + k * 10,
            &[("Protocol", "SSL 3.0")],
        ));
    }
    let d = run(signals, &b);
    let f = &d.findings[0];
    assert_eq!((f.rule_id.as_str(), f.confidence), (TLS, Level::High));
    assert_eq!(f.host, "SRV01.corp.example");
    assert!(f.correlated);
    assert_eq!(f.clients, ["WS042"]);
    assert_eq!(
        f.why,
        "Schannel 36874 on SRV01.corp.example 1 s after the client's 2308 attempt (the server's \
         clock runs 31 s ahead of the client's; times are compared after correcting it)"
    );
    assert!(f
        .evidence
        .iter()
        .any(|e| e.signal == "tls-mismatch/no_common_cipher"));
    // The client's 1026 is matched by the rule and by the context rule: shown once.
    let disconnects = f.evidence.iter().filter(|e| e.time == Some(at(3))).count();
    assert_eq!(disconnects, 1);
    // The probes fold into one uncorrelated medium finding with their count.
    let rest: Vec<&Finding> = d
        .findings
        .iter()
        .filter(|f| f.confidence == Level::Medium)
        .collect();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].evidence_count, 50);
    assert_eq!(rest[0].incidents, 1);
    assert!(!rest[0].correlated);
    assert!(d.has_causes());
}

#[test]
fn evidence_beyond_the_skew_is_not_tied_to_the_attempt() {
    let b = book(vec![tls_rule()]);
    let mut signals = tls_incident();
    signals.retain(|s| s.signal_id().as_ref() != SERVER_CONNECTION);
    // Move the server event 20 minutes away: beyond window (2 min) + skew (5 min).
    for s in &mut signals {
        if s.signal_id().as_ref() == "no_common_cipher" {
            Arc::make_mut(&mut s.event).time = Some(at(1200));
        }
    }
    let d = run(signals, &b);
    assert_eq!(d.findings.len(), 1);
    assert_eq!(d.findings[0].confidence, Level::Medium);
    assert!(!d.findings[0].correlated);
}

#[test]
fn repeats_fold_into_one_finding_with_first_and_last_seen() {
    let b = book(vec![tls_rule()]);
    let signals: Vec<Signal> = (0..29_000)
        .map(|k| {
            sig(
                TLS,
                "no_common_cipher",
                "SRV01",
                k * 5,
                &[("Protocol", "TLS 1.0")],
            )
        })
        .collect();
    let d = run(signals, &b);
    assert_eq!(d.findings.len(), 1);
    let f = &d.findings[0];
    assert_eq!(f.evidence_count, 29_000);
    assert_eq!(f.first_seen, Some(at(0)));
    assert_eq!(f.last_seen, Some(at(28_999 * 5)));
    assert!(f.evidence.len() <= fold::MAX_EVIDENCE);
    assert!(f.why.contains("29000 times"), "{}", f.why);
}

/// A flood large enough to be gathered in two halves, its host spelled two ways in turn: one
/// host, one finding, every signal counted once and in time order.
#[test]
fn a_flood_gathered_in_halves_under_two_spellings_is_one_host() {
    let b = book(vec![tls_rule()]);
    let count = 2 * correlate::GATHER_APART as i64 + 3;
    let signals: Vec<Signal> = (0..count)
        .map(|k| {
            let host = if k % 2 == 0 { "SRV01" } else { "srv01." };
            sig(TLS, "no_common_cipher", host, k * 5, &[])
        })
        .collect();
    let d = run(signals, &b);
    assert_eq!(d.findings.len(), 1);
    let f = &d.findings[0];
    assert_eq!(f.evidence_count, count as u64);
    assert_eq!(f.first_seen, Some(at(0)));
    assert_eq!(f.last_seen, Some(at((count - 1) * 5)));
    assert!(f.why.contains(&format!("{count} times")), "{}", f.why);
}

#[test]
fn missing_server_connection_is_decided_only_when_the_server_log_was_given() {
    let b = book(vec![blocked_rule()]);
    let signals = [
        failed_attempt("blocked", 0, 21, "A", "516"),
        vec![
            // Another server activity so that SRV01 is known as a server.
            sig(
                "rdp-connection",
                SERVER_CONNECTION,
                "SRV01",
                5000,
                &[("ClientIP", "10.9.9.9:1")],
            ),
        ],
    ]
    .concat();
    let mut signals = signals;
    signals[2] = signals[2].renamed(Some("network-blocked"), None);
    // RdpCoreTS given and covering the attempt: the absence counts.
    let d = run(signals.clone(), &b);
    let f = &d.findings[0];
    assert_eq!(
        (f.rule_id.as_str(), f.confidence),
        ("network-blocked", Level::High)
    );
    assert!(f.correlated);
    assert_eq!(
        f.why,
        "WS042's attempt to srv01 failed and SRV01 logged no connection"
    );
    assert_eq!(d.coverage.absent.len(), 1);
    assert_eq!(d.coverage.absent[0].server, "SRV01");
    assert_eq!(d.coverage.attempts[0].server_connection, "absent");

    // Server's RdpCoreTS log not given: not evaluated; the client-only rung is capped.
    let mut summary = summary_for(&signals, &[]);
    summary.sources.retain(|s| !s.file.contains("RdpCoreTS"));
    summary.sources.push(crate::source::SourceReport {
        file: "SRV01/System.evtx".into(),
        channel: Some("System".into()),
        records: 10,
        computer: Some("SRV01".into()),
        ..Default::default()
    });
    let d = diagnose(signals, &b, &summary, &DiagnoseOptions::default());
    assert_eq!(d.findings[0].confidence, Level::Medium);
    assert!(!d.findings[0].correlated);
}

#[test]
fn a_2308_without_any_131_on_a_covered_server_is_reported_absent() {
    let b = book(vec![tls_rule()]);
    let signals = vec![
        client_attempt("WS042", 0, "srv01").act("A"),
        client_disconnect("WS042", 3, "2308").act("A"),
        sig(
            "rdp-connection",
            SERVER_CONNECTION,
            "SRV01",
            9000,
            &[("ClientIP", "10.0.0.9:1")],
        ),
    ];
    let d = run(signals, &b);
    assert!(d.findings.is_empty());
    assert_eq!(d.coverage.absent.len(), 1);
    assert_eq!(d.coverage.absent[0].server, "SRV01");
    assert_eq!(d.coverage.attempts[0].outcome, "setup_failure");
}

#[test]
fn background_stays_info_and_does_not_make_findings() {
    let b = book(vec![scanner_rule()]);
    let signals: Vec<Signal> = (0..200)
        .map(|k| {
            let ip = format!("198.51.100.{}:4000", k % 50);
            sig(
                "internet-exposure",
                "probe",
                "SRV01",
                k,
                &[("ClientIP", ip.as_str())],
            )
        })
        .collect();
    let d = run(signals, &b);
    assert_eq!(d.findings.len(), 1);
    let f = &d.findings[0];
    assert_eq!((f.kind, f.confidence), (RuleKind::Background, Level::Info));
    assert_eq!(f.top[0].field, "ClientIP");
    assert_eq!(f.top[0].values.len(), fold::MAX_TOP_VALUES);
    assert_eq!(f.top[0].values[0].count, 4);
    assert!(!d.has_causes());
}

/// A flood's members are repeats that share a few records, and a record's signals each see
/// their own fields of it: every member still counts once in the `top` values (read once per
/// run of members that share a record); a `top` field in which repeats differ (the record id)
/// is read from each repeat.
#[test]
fn top_values_count_every_repeat_of_a_shared_record() {
    // Three records, each matched by two signals of which only `probe` sees its ClientIP.
    let bases: Vec<(Signal, Signal)> = (0..3)
        .map(|base| {
            let ip = format!("198.51.100.{base}");
            let mut probe = sig(
                "internet-exposure",
                "probe",
                "SRV01",
                base,
                &[("ClientIP", ip.as_str()), ("Other", "x")],
            );
            let mut hello = probe.renamed(None, Some("hello"));
            probe.own_fields = 0b01;
            hello.own_fields = 0b10;
            (probe, hello)
        })
        .collect();
    // Forty rounds of repeats of the three records, taken in turn: the members cycle through
    // six (record, signal) runs.
    let mut signals = Vec::new();
    for round in 0..40i64 {
        for (base, (probe, hello)) in bases.iter().enumerate() {
            let record_id = 1000 + (round * 3) as u64 + base as u64;
            let identity = crate::event::Identity {
                time: Some(at(round * 10 + base as i64)),
                record_id: Some(record_id),
                process_id: Some(4),
                thread_id: Some(8),
                origin_record: Some(record_id),
            };
            signals.push(Signal::repeated(probe, &identity));
            signals.push(Signal::repeated(hello, &identity));
        }
    }
    // Held in short: each repeat shares its record.
    assert!(signals
        .iter()
        .all(|s| s.repeat.is_some() && bases.iter().any(|(p, _)| Arc::ptr_eq(&p.event, &s.event))));
    let diagnose_with = |top: &[&str]| {
        let mut scanner = scanner_rule();
        scanner.signals.push(signal_view("hello", Side::Server));
        scanner.top = top.iter().map(|t| t.to_string()).collect();
        let d = run(signals.clone(), &book(vec![scanner]));
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].evidence_count, 240);
        d.findings[0].top.clone()
    };
    let counts = |field: &TopField| -> Vec<(String, u64)> {
        field
            .values
            .iter()
            .map(|v| (v.value.clone(), v.count))
            .collect()
    };
    let each_ip_forty: Vec<(String, u64)> = (0..3)
        .map(|base| (format!("198.51.100.{base}"), 40))
        .collect();
    // Runs merged: each ClientIP counted once per repeat.
    let top = diagnose_with(&["ClientIP"]);
    assert_eq!(counts(&top[0]), each_ip_forty);
    // Runs not merged, as the record id differs from repeat to repeat: each record id is
    // seen by both signals of its repeat.
    let top = diagnose_with(&["ClientIP", "EventRecordID"]);
    assert_eq!(counts(&top[0]), each_ip_forty);
    assert_eq!(top[1].field, "EventRecordID");
    assert_eq!(top[1].values.len(), fold::MAX_TOP_VALUES);
    assert!(top[1].values.iter().all(|v| v.count == 2), "{:?}", top[1]);
}

/// The System fields in which a repeat differs from its record are those its identity holds.
#[test]
fn identity_tells_the_fields_it_holds() {
    let identity = crate::event::Identity {
        time: Some(at(1)),
        record_id: Some(2),
        process_id: Some(3),
        thread_id: Some(4),
        origin_record: Some(5),
    };
    for name in [
        "EventID",
        "Provider_Name",
        "Provider_Guid",
        "EventSourceName",
        "Channel",
        "Computer",
        "Level",
        "Task",
        "Opcode",
        "Keywords",
        "Version",
        "Qualifiers",
        "EventRecordID",
        "ActivityID",
        "RelatedActivityID",
        "ProcessID",
        "ThreadID",
        "UserID",
        "TimeCreated",
        "Message",
    ] {
        let system = crate::event::SystemName::of(name).expect(name);
        let tells = crate::event::Identity::tells(system);
        assert_eq!(tells, identity.value(system).is_some(), "{name}");
        let expected = matches!(
            name,
            "EventRecordID" | "ProcessID" | "ThreadID" | "TimeCreated"
        );
        assert_eq!(tells, expected, "{name}");
    }
}

#[test]
fn causes_rank_above_background_whatever_the_counts() {
    let b = book(vec![tls_rule(), scanner_rule()]);
    let mut signals = tls_incident();
    for k in 0..500 {
        signals.push(sig(
            "internet-exposure",
            "probe",
            "SRV01.corp.example",
            100 + k,
            &[],
        ));
    }
    let d = run(signals, &b);
    assert_eq!(d.findings[0].rule_id, TLS);
    assert_eq!(
        d.findings.last().map(|f| f.kind),
        Some(RuleKind::Background)
    );
    assert_eq!(
        d.findings.iter().map(|f| f.rank).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn client_only_evidence_is_capped_at_medium() {
    let b = book(vec![blocked_rule()]);
    let signals = failed_attempt("network-blocked", 0, 21, "A", "516");
    let d = run(signals, &b);
    assert_eq!(d.findings.len(), 1);
    assert_eq!(d.findings[0].confidence, Level::Medium);
    assert!(
        d.coverage
            .notes
            .iter()
            .any(|n| n.contains("no server logs")),
        "{:?}",
        d.coverage.notes
    );
}

#[test]
fn a_session_that_was_up_is_not_a_setup_refusal() {
    let b = book(vec![tls_rule()]);
    let mut signals = tls_incident();
    signals.push(sig("rdp-connection", CLIENT_CONNECTED, "WS042", 1, &[]).act("A"));
    let d = run(signals, &b);
    assert!(d.findings.iter().all(|f| f.confidence < Level::High));
    assert_eq!(d.coverage.attempts[0].outcome, "session_drop");
}

#[test]
fn the_only_server_is_taken_as_the_target_and_the_why_says_so() {
    let b = book(vec![tls_rule()]);
    let mut signals = tls_incident();
    for s in &mut signals {
        if s.signal_id().as_ref() == CLIENT_ATTEMPT {
            Arc::make_mut(&mut s.event).fields[0].value = "203.0.113.7".into();
        }
    }
    let d = run(signals, &b);
    let f = &d.findings[0];
    assert_eq!(f.confidence, Level::High);
    assert!(
        f.why.contains("the only server whose logs were given"),
        "{}",
        f.why
    );
}

/// `--from` and `--to` keep the signals with a time between them, both included, in their
/// order; a signal without a time is never kept.
#[test]
fn the_time_filter_keeps_the_signals_from_to_inclusive_and_none_without_a_time() {
    let seconds = [None, None, Some(1), Some(3), Some(3), Some(5), Some(9)];
    let signals: Vec<Signal> = seconds
        .iter()
        .map(|&s| {
            let mut signal = sig(TLS, "no_common_cipher", "SRV01", s.unwrap_or(0), &[]);
            Arc::make_mut(&mut signal.event).time = s.map(at);
            signal
        })
        .collect();
    let refs: Vec<&Signal> = signals.iter().collect();
    let ends = || std::iter::once(None).chain((0..11).map(Some));
    for (from, to) in ends().flat_map(|f| ends().map(move |t| (f, t))) {
        let expected: Vec<usize> = (0..seconds.len())
            .filter(|&i| {
                seconds[i]
                    .is_some_and(|t| from.is_none_or(|f| t >= f) && to.is_none_or(|to| t <= to))
            })
            .collect();
        let range = super::within(&refs, from.map(at), to.map(at));
        assert_eq!(range.collect::<Vec<_>>(), expected, "{from:?}..{to:?}");
    }
}

#[test]
fn filters_apply_to_time_host_and_confidence() {
    let b = book(vec![tls_rule()]);
    let summary = summary_for(&tls_incident(), &[]);
    let only_medium = DiagnoseOptions {
        min_confidence: Level::High,
        to: Some(at(10)),
        ..DiagnoseOptions::default()
    };
    // Until t=10 the server's events (t=31, 32) are outside: nothing is left.
    let d = diagnose(tls_incident(), &b, &summary, &only_medium);
    assert!(d.findings.is_empty());
    assert_eq!(d.stats.signals_ignored, 2);
    let other_host = DiagnoseOptions {
        hosts: vec!["srv02".into()],
        ..DiagnoseOptions::default()
    };
    assert!(diagnose(tls_incident(), &b, &summary, &other_host)
        .findings
        .is_empty());
    let this_host = DiagnoseOptions {
        hosts: vec!["srv01".into()],
        ..DiagnoseOptions::default()
    };
    assert_eq!(
        diagnose(tls_incident(), &b, &summary, &this_host)
            .findings
            .len(),
        1
    );
}

#[test]
fn hosts_and_coverage_list_every_machine_and_missing_logs() {
    let mut tls = tls_rule();
    tls.signals.push(SignalView {
        name: "capi".into(),
        side: Side::Server,
        channels: vec!["Microsoft-Windows-CAPI2/Operational".into()],
        providers: vec![],
        event_ids: vec![],
        scope: Scope::Host,
    });
    let b = book(vec![tls]);
    let d = run(tls_incident(), &b);
    let names: Vec<&str> = d.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["SRV01.corp.example", "WS042"]);
    assert_eq!(d.hosts[0].roles, [Side::Server]);
    assert_eq!(d.hosts[0].top_confidence, Some(Level::High));
    let srv = &d.coverage.hosts[0];
    assert!(srv
        .missing
        .iter()
        .any(|m| m.channel == "Microsoft-Windows-CAPI2/Operational" && m.needed_by == [TLS]));
}

/// The TLS rule with its server signal logged per connection (`scope: connection`).
fn tls_rule_per_connection() -> RuleView {
    let mut r = tls_rule();
    for s in &mut r.signals {
        if s.name == "no_common_cipher" {
            s.scope = Scope::Connection;
        }
    }
    r
}

#[test]
fn a_refusal_in_another_clients_handshake_is_not_tied_to_the_attempt() {
    let b = book(vec![tls_rule_per_connection()]);
    let mut signals = tls_incident();
    // The user's own handshake is not refused; 9 s after the user's 131 (server clock),
    // another client (a till terminal whose logs were not given) is refused within its own
    // set-up, well inside the rule's window around the attempt.
    signals.retain(|s| s.signal_id().as_ref() != "no_common_cipher");
    signals.push(sig(
        "rdp-connection",
        SERVER_CONNECTION,
        "SRV01.corp.example",
        40,
        &[("ClientIP", "10.0.7.14:55807")],
    ));
    signals.push(sig(
        TLS,
        "no_common_cipher",
        "SRV01.corp.example",
        40,
        &[("Protocol", "TLS 1.0")],
    ));
    let d = run(signals.clone(), &b);
    assert_eq!(d.findings.len(), 1);
    assert_eq!(d.findings[0].confidence, Level::Medium);
    assert!(!d.findings[0].correlated);

    // The same refusal as host state (scope host) is still tied by time alone.
    let d = run(signals, &book(vec![tls_rule()]));
    assert_eq!(d.findings[0].confidence, Level::High);
}

#[test]
fn a_refusal_in_the_attempts_own_handshake_is_tied_even_beside_other_connections() {
    let b = book(vec![tls_rule_per_connection()]);
    let mut signals = tls_incident();
    // Another client connects one second before the user's 131: the refusal is within both
    // set-ups, one of which is the user's, so it may be the user's.
    signals.push(sig(
        "rdp-connection",
        SERVER_CONNECTION,
        "SRV01.corp.example",
        30,
        &[("ClientIP", "10.0.7.14:55807")],
    ));
    let d = run(signals, &b);
    assert_eq!(d.findings[0].confidence, Level::High);
    assert!(d.findings[0].correlated);
}

#[test]
fn server_evidence_naming_another_client_or_its_activity_is_not_the_attempts() {
    let b = book(vec![tls_rule()]);
    // A record that names another client's address.
    let mut signals = tls_incident();
    for s in &mut signals {
        if s.signal_id().as_ref() == "no_common_cipher" {
            Arc::make_mut(&mut s.event)
                .fields
                .push(crate::event::Field::new("IpAddress", "10.0.7.14"));
        }
    }
    let d = run(signals, &b);
    assert_eq!(d.findings[0].confidence, Level::Medium);

    // A record that shares its ActivityID with another client's 131.
    let mut signals = tls_incident();
    signals.push(
        sig(
            "rdp-connection",
            SERVER_CONNECTION,
            "SRV01.corp.example",
            -200,
            &[("ClientIP", "10.0.7.14:55807")],
        )
        .act("{B0B0-1}"),
    );
    for s in &mut signals {
        if s.signal_id().as_ref() == "no_common_cipher" {
            Arc::make_mut(&mut s.event).activity_id = Some("{b0b0-1}".into());
        }
    }
    let d = run(signals, &b);
    assert_eq!(d.findings[0].confidence, Level::Medium);
}

#[test]
fn an_attempt_that_never_opened_tcp_is_not_anchored_to_a_nearby_131() {
    let b = book(vec![blocked_rule()]);
    let signals = [
        failed_attempt("network-blocked", 0, 2, "A", "516"),
        vec![
            // an administrator's connection two minutes earlier, within the skew tolerance
            sig(
                "rdp-connection",
                SERVER_CONNECTION,
                "SRV01",
                -120,
                &[("ClientIP", "10.0.0.5:50100")],
            ),
        ],
    ]
    .concat();
    let d = run(signals, &b);
    let f = &d.findings[0];
    assert_eq!(
        (f.rule_id.as_str(), f.confidence),
        ("network-blocked", Level::High)
    );
    assert!(f.why.contains("logged no connection"), "{}", f.why);
}

fn connection(t: i64, ip: &str) -> Signal {
    sig(
        "rdp-connection",
        SERVER_CONNECTION,
        "SRV01",
        t,
        &[("ClientIP", ip)],
    )
}

#[test]
fn the_clients_address_is_learnt_from_attempts_that_agree_on_the_clock_offset() {
    // Two attempts reach the server 30 s later on its clock, from 10.0.0.42; two later ones are
    // reset on the way (2308, no 131 of their own) while a till terminal connects near them at
    // distances that agree with nothing.
    let mut signals = Vec::new();
    signals.extend(failed_attempt("network-blocked", 0, 2, "A", "2308"));
    signals.push(connection(30, "10.0.0.42:50100"));
    signals.extend(failed_attempt("network-blocked", 600, 602, "B", "2308"));
    signals.push(connection(630, "10.0.0.42:50200"));
    signals.extend(failed_attempt("network-blocked", 1200, 1202, "C", "2308"));
    signals.extend(failed_attempt("network-blocked", 1260, 1262, "D", "2308"));
    signals.push(connection(1240, "10.0.7.14:55807"));
    signals.push(connection(1250, "10.0.7.14:55808"));
    signals.sort_by_key(|s| s.time());
    let d = run(signals, &book(vec![blocked_rule()]));
    let blocked: Vec<&Finding> = d
        .findings
        .iter()
        .filter(|f| f.rule_id == "network-blocked" && f.why.contains("logged no connection"))
        .collect();
    assert_eq!(blocked.len(), 1, "{:#?}", d.findings);
    assert_eq!(blocked[0].incidents, 2);
}

/// A cause rule `probe` with server signals `a` and `b` and one same-host rung on `when`.
fn probe_rule(when: &str) -> RuleView {
    rule(
        "probe",
        RuleKind::Cause,
        &[("a", Side::Server), ("b", Side::Server)],
        vec![rung(
            when,
            Correlate::SameHost,
            Level::Medium,
            "{count} probes on {host}",
        )],
    )
}

/// The finding of rule `probe` in `d`.
fn probe_finding(d: &Diagnosis) -> &Finding {
    d.findings
        .iter()
        .find(|f| f.rule_id == "probe")
        .expect("a finding")
}

#[test]
fn a_record_matched_by_two_signals_shows_once_among_the_evidence_also_when_it_repeats() {
    let probe = probe_rule("a");
    // Twenty records ten seconds apart, each matched by both signals (which share it); all
    // but the first repeat the first but for their time and record id.
    let first_a = sig("probe", "a", "SRV01", 0, &[]);
    let first_b = first_a.renamed(None, Some("b"));
    let mut signals = vec![first_a.clone(), first_b.clone()];
    for k in 1..20 {
        let identity = crate::event::Identity {
            time: Some(at(k * 10)),
            record_id: Some(k as u64 * 10),
            process_id: Some(4),
            thread_id: Some(8),
            origin_record: Some(k as u64 * 10),
        };
        signals.push(Signal::repeated(&first_a, &identity));
        signals.push(Signal::repeated(&first_b, &identity));
        let (a, b) = (&signals[signals.len() - 2], &signals[signals.len() - 1]);
        assert!(a.repeat.is_some() && a.same_record(b) && Arc::ptr_eq(&a.event, &first_a.event));
    }
    let d = run(signals, &book(vec![probe]));
    let f = probe_finding(&d);
    let times: Vec<_> = f.evidence.iter().map(|e| e.time).collect();
    let expected: Vec<_> = (0..fold::MAX_EVIDENCE as i64)
        .map(|k| Some(at(k * 10)))
        .collect();
    assert_eq!(times, expected, "each record once, the earliest first");
    let records: Vec<_> = f.evidence.iter().map(|e| e.record_id).collect();
    assert_eq!(records, (0..8).map(|k| Some(k * 10)).collect::<Vec<_>>());
    assert_eq!((f.first_seen, f.last_seen), (Some(at(0)), Some(at(190))));
}

/// A finding shows its first incident's records, then the first record of each signal not
/// shown yet from the other incidents (however far into them), then their records in order.
#[test]
fn a_finding_shows_each_signal_of_its_later_incidents_once_then_their_records_in_order() {
    let probe = probe_rule("a or b");
    // Two records of `a`; an hour later, thirty of `a` and then one of `b`.
    let mut signals = vec![
        sig("probe", "a", "SRV01", 0, &[]),
        sig("probe", "a", "SRV01", 10, &[]),
    ];
    signals.extend((0..30).map(|k| sig("probe", "a", "SRV01", 3600 + k, &[])));
    signals.push(sig("probe", "b", "SRV01", 3700, &[]));
    let d = run(signals, &book(vec![probe]));
    let f = probe_finding(&d);
    assert_eq!(f.incidents, 2, "{f:#?}");
    let shown: Vec<(String, Option<u64>)> = f
        .evidence
        .iter()
        .map(|e| (e.signal.clone(), e.record_id))
        .collect();
    let mut expected = vec![
        ("probe/a".to_string(), Some(0)),
        ("probe/a".to_string(), Some(10)),
        ("probe/b".to_string(), Some(3700)),
    ];
    expected.extend((0..5).map(|k| ("probe/a".to_string(), Some(3600 + k))));
    assert_eq!(shown, expected);
}
