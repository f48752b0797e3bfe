//! Client connection attempts, built from the context rule's reserved client signals
//! (1024 attempt, 1102 transport, 1027 connected, 1026 disconnect).
//!
//! Events of one attempt share the ActivityID; without one, a 1024 starts an attempt and the
//! next 1026 on that host ends it (docs/RULES.md, "Client attempts").

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::hosts::{host_key, TargetMatch};
use super::model::{CLIENT_ATTEMPT, CLIENT_CONNECTED, CLIENT_DISCONNECT, CLIENT_TRANSPORT};
use crate::signal::Signal;

/// One client's attempt to connect.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Host key of the client.
    pub client: String,
    pub activity_id: Option<String>,
    /// The 1024 (or, lacking one, the first event of the attempt).
    pub start: Timestamp,
    /// The 1026 (or the last event seen).
    pub end: Timestamp,
    /// The target as typed (1024 `Value`).
    pub target: Option<String>,
    /// The server address from 1102 `Value`.
    pub transport_ip: Option<String>,
    /// When the 1027 ("connected to domain") was logged: the session was up.
    pub connected: Option<Timestamp>,
    /// The 1026 disconnect reason (decimal `Value`).
    pub disconnect_reason: Option<u32>,
    /// Indexes of the attempt's context signals in the diagnosis' signal list.
    pub signals: Vec<usize>,
    /// The server the target resolved to (host key) and how; filled by the correlation.
    pub server: Option<(String, TargetMatch)>,
}

impl Attempt {
    /// Whether the attempt has a reserved client event of that name.
    pub fn has(&self, name: &str, signals: &[&Signal]) -> bool {
        self.signals
            .iter()
            .any(|&i| signals[i].signal_id().as_ref() == name)
    }

    /// The first of the attempt's events of that reserved name.
    pub fn first<'s>(&self, name: &str, signals: &[&'s Signal]) -> Option<&'s Signal> {
        self.signals
            .iter()
            .map(|&i| signals[i])
            .find(|s| s.signal_id().as_ref() == name)
    }

    /// A failed attempt: it ended with a disconnect and never reached "connected".
    pub fn is_setup_failure(&self) -> bool {
        self.connected.is_none() && self.disconnect_reason.is_some_and(|r| r > 3)
    }

    /// The client's own code says no TCP connection was opened: the attempt failed at name
    /// resolution or at TCP connect (domain reference §1.2), so no server event, RdpCoreTS 131
    /// included, can be of this attempt's connection.
    pub fn never_opened_tcp(&self) -> bool {
        self.connected.is_none()
            && self
                .disconnect_reason
                .is_some_and(|r| NO_TCP_CONNECTION.contains(&r))
    }
}

/// Disconnect reasons (1026 `Value`) of the phases before a TCP connection exists: DNS lookup
/// failed (0x104, 0x508), host not found (0x208), gethostbyname failed (0x604), connect failed
/// (0x204), connection timed out (0x108). Domain reference §1.2 and §3.1.
const NO_TCP_CONNECTION: [u32; 6] = [0x104, 0x508, 0x208, 0x604, 0x204, 0x108];

fn value_of(signal: &Signal) -> Option<String> {
    signal
        .field("Value")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn parse_reason(raw: &str) -> Option<u32> {
    let s = raw.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// Builds the attempts from `indexes`: the context rule's client signals, with times.
/// `signals` must be sorted by time.
pub fn build_attempts(signals: &[&Signal], indexes: &[usize]) -> Vec<Attempt> {
    // Per client host, in time order.
    let mut per_host: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in indexes {
        if signals[i].time().is_some() {
            per_host
                .entry(host_key(signals[i].host()))
                .or_default()
                .push(i);
        }
    }
    let mut out = Vec::new();
    for (host, idx) in per_host {
        let mut by_activity: BTreeMap<String, usize> = BTreeMap::new();
        // The open attempt without an ActivityID, if any.
        let mut open_plain: Option<usize> = None;
        let mut host_attempts: Vec<Attempt> = Vec::new();
        for i in idx {
            let s = &signals[i];
            let Some(time) = s.time() else { continue };
            let activity = s.event.activity_id.clone().filter(|a| !is_null_guid(a));
            let slot = match &activity {
                Some(a) => match by_activity.get(a) {
                    Some(&slot) => Some(slot),
                    None if s.signal_id().as_ref() == CLIENT_ATTEMPT => None,
                    // An attempt opened without an ActivityID may learn one from a later event.
                    None => open_plain.filter(|&o| host_attempts[o].activity_id.is_none()),
                },
                None if s.signal_id().as_ref() == CLIENT_ATTEMPT => None,
                None => open_plain,
            };
            let slot = match slot {
                Some(slot) => slot,
                None => {
                    host_attempts.push(Attempt {
                        client: host.clone(),
                        activity_id: activity.clone(),
                        start: time,
                        end: time,
                        target: None,
                        transport_ip: None,
                        connected: None,
                        disconnect_reason: None,
                        signals: Vec::new(),
                        server: None,
                    });
                    let slot = host_attempts.len() - 1;
                    if let Some(a) = &activity {
                        by_activity.insert(a.clone(), slot);
                    }
                    open_plain = Some(slot);
                    slot
                }
            };
            let attempt = &mut host_attempts[slot];
            if attempt.activity_id.is_none() {
                if let Some(a) = &activity {
                    attempt.activity_id = Some(a.clone());
                    by_activity.insert(a.clone(), slot);
                }
            }
            attempt.signals.push(i);
            attempt.end = attempt.end.max(time);
            match s.signal_id().as_ref() {
                CLIENT_ATTEMPT => {
                    if attempt.target.is_none() {
                        attempt.target = value_of(s);
                    }
                    attempt.start = attempt.start.min(time);
                }
                CLIENT_TRANSPORT if attempt.transport_ip.is_none() => {
                    attempt.transport_ip = value_of(s);
                }
                CLIENT_CONNECTED => {
                    attempt.connected.get_or_insert(time);
                }
                CLIENT_DISCONNECT => {
                    attempt.disconnect_reason = value_of(s).as_deref().and_then(parse_reason);
                    if open_plain == Some(slot) {
                        open_plain = None;
                    }
                }
                _ => {}
            }
        }
        out.extend(host_attempts);
    }
    out.sort_by_key(|a| (a.start, a.client.clone()));
    out
}

fn is_null_guid(a: &str) -> bool {
    a.trim_matches(|c| c == '{' || c == '}')
        .chars()
        .all(|c| c == '0' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::testutil::{sig, SignalExt};

    #[test]
    fn activity_id_groups_and_plain_sequence_splits() {
        let signals = [
            sig(
                "rdp-connection",
                CLIENT_ATTEMPT,
                "WS1",
                0,
                &[("Value", "srv01")],
            )
            .act("A"),
            sig(
                "rdp-connection",
                CLIENT_ATTEMPT,
                "WS1",
                5,
                &[("Value", "srv02")],
            )
            .act("B"),
            sig(
                "rdp-connection",
                CLIENT_DISCONNECT,
                "WS1",
                7,
                &[("Value", "2308")],
            )
            .act("A"),
            sig("rdp-connection", CLIENT_CONNECTED, "WS1", 8, &[]).act("B"),
            sig(
                "rdp-connection",
                CLIENT_ATTEMPT,
                "WS2",
                10,
                &[("Value", "srv01")],
            ),
            sig(
                "rdp-connection",
                CLIENT_DISCONNECT,
                "WS2",
                12,
                &[("Value", "516")],
            ),
            sig(
                "rdp-connection",
                CLIENT_ATTEMPT,
                "WS2",
                20,
                &[("Value", "srv01")],
            ),
        ];
        let idx: Vec<usize> = (0..signals.len()).collect();
        let signals: Vec<&Signal> = signals.iter().collect();
        let a = build_attempts(&signals, &idx);
        assert_eq!(a.len(), 4);
        assert_eq!(a[0].target.as_deref(), Some("srv01"));
        assert_eq!(a[0].disconnect_reason, Some(2308));
        assert!(a[0].is_setup_failure());
        assert_eq!(a[1].target.as_deref(), Some("srv02"));
        assert!(a[1].connected.is_some());
        assert_eq!(a[2].client, "ws2");
        assert_eq!(a[2].disconnect_reason, Some(516));
        assert!(a[2].never_opened_tcp());
        assert!(!a[0].never_opened_tcp());
        assert_eq!(a[3].disconnect_reason, None);
    }
}
