//! Hand-made signals and rules for the diagnosis' unit tests.

use jiff::{SignedDuration, Timestamp};

use super::model::*;
use crate::event::{Event, Field, Origin, Provider};
use crate::signal::{Side, Signal};
use crate::source::{ReadSummary, SourceReport};

/// 2024-03-01 10:00:00 UTC plus `secs`.
pub fn at(secs: i64) -> Timestamp {
    "2024-03-01T10:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_secs(secs)
}

/// A signal of `rule/name` on `host` at `at(secs)`; the side follows the reserved names and
/// the host's name (`WS*` is a client).
pub fn sig(rule: &str, name: &str, host: &str, secs: i64, fields: &[(&str, &str)]) -> Signal {
    let side = reserved_side(name).unwrap_or(if host.to_ascii_lowercase().starts_with("ws") {
        Side::Client
    } else {
        Side::Server
    });
    Signal {
        kind: crate::signal::SignalKind::shared(rule.into(), name.into(), side),
        own_fields: crate::signal::ALL_FIELDS,
        repeat: None,
        event: std::sync::Arc::new(Event {
            time: Some(at(secs)),
            computer: host.into(),
            channel: channel_for(name, side).into(),
            provider: Provider {
                name: "Test".into(),
                ..Provider::default()
            },
            event_id: 1,
            record_id: Some(secs.unsigned_abs()),
            fields: fields.iter().map(|(k, v)| Field::new(*k, *v)).collect(),
            origin: Origin {
                file: format!("{host}/{}.evtx", channel_for(name, side).replace('/', "%4")).into(),
                ..Origin::default()
            },
            ..Event::default()
        }),
    }
}

/// A client's attempt (RDPClient 1024) from `host` to `target` at `at(secs)`.
pub fn client_attempt(host: &str, secs: i64, target: &str) -> Signal {
    sig(
        "rdp-connection",
        CLIENT_ATTEMPT,
        host,
        secs,
        &[("Value", target)],
    )
}

/// A client's disconnect (RDPClient 1026) on `host` with `reason` at `at(secs)`.
pub fn client_disconnect(host: &str, secs: i64, reason: &str) -> Signal {
    sig(
        "rdp-connection",
        CLIENT_DISCONNECT,
        host,
        secs,
        &[("Value", reason)],
    )
}

/// A failed attempt from WS042 to `srv01` at `at(t)` in activity `act`: the client's attempt,
/// its disconnect with `reason` at `at(ends)`, and `rule`'s `client_failure` signal on it.
pub fn failed_attempt(rule: &str, t: i64, ends: i64, act: &str, reason: &str) -> Vec<Signal> {
    vec![
        client_attempt("WS042", t, "srv01").act(act),
        client_disconnect("WS042", ends, reason).act(act),
        sig(rule, "client_failure", "WS042", ends, &[("Value", reason)]).act(act),
    ]
}

fn channel_for(name: &str, side: Side) -> &'static str {
    match (name, side) {
        (SERVER_CONNECTION, _) => "RdpCoreTS/Operational",
        (_, Side::Client) => "RDPClient/Operational",
        _ => "System",
    }
}

pub trait SignalExt {
    fn act(self, id: &str) -> Signal;
}

impl SignalExt for Signal {
    fn act(mut self, id: &str) -> Signal {
        std::sync::Arc::make_mut(&mut self.event).activity_id = Some(id.into());
        self
    }
}

pub fn signal_view(name: &str, side: Side) -> SignalView {
    SignalView {
        name: name.into(),
        side,
        channels: vec![channel_for(name, side).into()],
        providers: vec![],
        event_ids: vec![],
        scope: Scope::Host,
    }
}

pub fn rung(when: &str, correlate: Correlate, level: Level, why: &str) -> ConfidenceView {
    ConfidenceView {
        when: super::expr::parse(when).unwrap(),
        correlate,
        level,
        why: why.into(),
        min_count: None,
        min_distinct: None,
    }
}

pub fn rule(
    id: &str,
    kind: RuleKind,
    signals: &[(&str, Side)],
    confidence: Vec<ConfidenceView>,
) -> RuleView {
    RuleView {
        id: id.into(),
        title: format!("title of {id}"),
        kind,
        severity: Level::High,
        description: String::new(),
        unconfirmed: None,
        signals: signals.iter().map(|(n, s)| signal_view(n, *s)).collect(),
        window: SignedDuration::from_mins(2),
        top: vec!["ClientIP".into()],
        confidence,
        fix: vec![FixStep {
            side: crate::rules::model::FixSide::Server,
            text: "do it".into(),
            command: Some("cmd".into()),
            registry: None,
            policy: None,
            risk: crate::rules::model::Risk::Low,
            risk_note: None,
        }],
    }
}

/// The context rule with the five reserved signals.
pub fn context_rule() -> RuleView {
    rule("rdp-connection", RuleKind::Context, &RESERVED, vec![])
}

/// A read summary with one source per (host, channel) of `signals`, covering the whole day.
pub fn summary_for(signals: &[Signal], extra: &[(&str, &str)]) -> ReadSummary {
    let mut sources: Vec<SourceReport> = Vec::new();
    let mut add = |host: &str, channel: &str| {
        let file = format!("{host}/{}.evtx", channel.replace('/', "%4"));
        if sources.iter().any(|s| s.file == file) {
            return;
        }
        sources.push(SourceReport {
            file,
            channel: Some(channel.into()),
            records: 100,
            computer: Some(host.into()),
            first_time: Some(at(-86_400)),
            last_time: Some(at(86_400)),
            ..SourceReport::default()
        });
    };
    for s in signals {
        add(&s.event.computer, &s.event.channel);
    }
    for (h, c) in extra {
        add(h, c);
    }
    ReadSummary { sources }
}
