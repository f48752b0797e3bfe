//! Which of a server's incoming connections a server-side record belongs to.
//!
//! A server logs RdpCoreTS 131 when it accepts a connection, with the client's address
//! (`ClientIP`) and an ActivityID that its other RdpCoreTS events of that connection share. The
//! cause-specific events follow within seconds (domain reference §4, the 0x904/0x7 skeleton:
//! 1024 → 131 → cause → 1026). On a busy server the connections of other clients (till
//! terminals, other users, scanners) are set up at the same time as the user's, so a record near
//! the user's attempt is not necessarily of the user's connection. A record is tied to a
//! connection, in order of strength, by:
//!
//! 1. its ActivityID, when a 131 on that host carries the same one;
//! 2. the client address it carries itself (Security 4625 `IpAddress`, RdpCoreTS 140
//!    `IPString`, 131 `ClientIP`);
//! 3. for a signal with `scope: connection` (a record logged during one connection's set-up,
//!    e.g. a Schannel handshake failure, which carries neither), the 131s it follows within
//!    [`SETUP_SPAN`].
//!
//! [`Connections::owner`] answers with what the record says; the correlation decides whether
//! that is the attempt's own connection.

use std::collections::HashMap;
use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};

use super::hosts::{host_key, parse_ip};
use crate::signal::Signal;

/// How long after a connection's 131 its set-up events are logged (domain reference §4:
/// "within seconds of (b)"; ±5 s for events of one connection).
pub const SETUP_SPAN: SignedDuration = SignedDuration::from_secs(5);

/// How much earlier than its 131 a set-up event may be stamped: records of one connection go
/// to different channels (RdpCoreTS, System) and are not ordered exactly across them.
const LOG_ORDER_SLACK: SignedDuration = SignedDuration::from_secs(1);

/// Fields in which server events name the client's address (domain reference §2, §3.7).
pub const ADDRESS_FIELDS: [&str; 3] = ["ClientIP", "IpAddress", "IPString"];

/// What a record says about the connection it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The record shares its ActivityID with this 131.
    Activity(usize),
    /// The record names the client's address itself.
    Address(IpAddr),
    /// A connection-scoped record logged during the set-up of these 131s (closest first).
    SetUp(Vec<usize>),
    /// Nothing ties the record to one connection.
    Unknown,
}

/// The RdpCoreTS 131 (`server_connection`) signals of every server, indexed by time and by
/// ActivityID.
#[derive(Debug, Default)]
pub struct Connections {
    /// Host key → 131 signal indexes, in time order.
    by_host: HashMap<String, Vec<usize>>,
    /// (host key, ActivityID lower-cased) → the 131 that carries it.
    by_activity: HashMap<(String, String), usize>,
}

fn time_of(s: &Signal) -> Timestamp {
    s.time().unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A record's ActivityID, unless absent or all zeros.
fn activity_of(s: &Signal) -> Option<String> {
    let a = s.event.activity_id.as_deref()?;
    let bare = a.trim_matches(|c| c == '{' || c == '}');
    if bare.is_empty() || bare.chars().all(|c| c == '0' || c == '-') {
        return None;
    }
    Some(bare.to_ascii_lowercase())
}

/// The client address a record names itself, if it names one that identifies a client
/// (not `-`, not unspecified, not loopback: local logons write those).
pub fn address_of(s: &Signal) -> Option<IpAddr> {
    ADDRESS_FIELDS
        .iter()
        .filter_map(|f| s.field(f))
        .filter_map(|v| parse_ip(&v))
        .find(|ip| !ip.is_unspecified() && !ip.is_loopback())
}

impl Connections {
    /// Indexes `list`: the 131 signals, in time order.
    pub fn build(signals: &[&Signal], list: impl IntoIterator<Item = usize>) -> Connections {
        let mut c = Connections::default();
        for i in list {
            let host = host_key(signals[i].host());
            if let Some(a) = activity_of(signals[i]) {
                c.by_activity.entry((host.clone(), a)).or_insert(i);
            }
            c.by_host.entry(host).or_default().push(i);
        }
        c
    }

    /// The 131s of `host`, in time order.
    pub fn of_host(&self, host: &str) -> Option<&Vec<usize>> {
        self.by_host.get(host)
    }

    /// The address of the client of 131 `i`.
    pub fn client_ip(signals: &[&Signal], i: usize) -> Option<IpAddr> {
        signals[i].field("ClientIP").and_then(|v| parse_ip(&v))
    }

    /// What record `i` on `host` says about its connection; `connection_scoped` when its
    /// signal is logged during one connection's set-up.
    pub fn owner(
        &self,
        signals: &[&Signal],
        host: &str,
        i: usize,
        connection_scoped: bool,
    ) -> Owner {
        let s = &signals[i];
        if let Some(&c) = activity_of(s).and_then(|a| self.by_activity.get(&(host.to_string(), a)))
        {
            return Owner::Activity(c);
        }
        if let Some(ip) = address_of(s) {
            return Owner::Address(ip);
        }
        if !connection_scoped {
            return Owner::Unknown;
        }
        let Some(list) = self.by_host.get(host) else {
            return Owner::Unknown;
        };
        let t = time_of(s);
        let from = t.saturating_sub(SETUP_SPAN).unwrap_or(t);
        let to = t.saturating_add(LOG_ORDER_SLACK).unwrap_or(t);
        let lo = list.partition_point(|&c| time_of(signals[c]) < from);
        let hi = list.partition_point(|&c| time_of(signals[c]) <= to);
        let mut near: Vec<usize> = list[lo..hi.max(lo)].to_vec();
        if near.is_empty() {
            return Owner::Unknown;
        }
        near.sort_by_key(|&c| (time_of(signals[c]).duration_since(t).abs(), c));
        Owner::SetUp(near)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::model::SERVER_CONNECTION;
    use crate::diagnose::testutil::{sig, SignalExt};

    fn conn(secs: i64, ip: &str, act: &str) -> Signal {
        sig(
            "rdp-connection",
            SERVER_CONNECTION,
            "SRV01",
            secs,
            &[("ClientIP", ip)],
        )
        .act(act)
    }

    #[test]
    fn records_are_tied_by_activity_then_address_then_set_up_time() {
        let signals = [
            conn(0, "10.0.0.7:50100", "{AAAA-1}"),
            conn(60, "10.0.0.9:50200", "{BBBB-2}"),
            // a Schannel refusal in the second connection's handshake
            sig("tls", "refusal", "SRV01", 61, &[]),
            // a 4625 naming its client
            sig(
                "nla",
                "bad_logon",
                "SRV01",
                62,
                &[("IpAddress", "10.0.0.7")],
            ),
            // an RdpCoreTS event of the first connection, long after it started
            sig("net", "read_failed", "SRV01", 3600, &[]).act("{aaaa-1}"),
            // a service stop: host state
            sig("svc", "stopped", "SRV01", 61, &[]),
            // a local logon failure names no client
            sig(
                "nla",
                "bad_logon",
                "SRV01",
                62,
                &[("IpAddress", "127.0.0.1")],
            ),
        ];
        let signals: Vec<&Signal> = signals.iter().collect();
        let c = Connections::build(&signals, [0, 1]);
        let host = "srv01";
        assert_eq!(c.owner(&signals, host, 2, true), Owner::SetUp(vec![1]));
        assert_eq!(c.owner(&signals, host, 2, false), Owner::Unknown);
        assert_eq!(
            c.owner(&signals, host, 3, true),
            Owner::Address("10.0.0.7".parse().unwrap())
        );
        assert_eq!(c.owner(&signals, host, 4, true), Owner::Activity(0));
        assert_eq!(c.owner(&signals, host, 5, false), Owner::Unknown);
        assert_eq!(c.owner(&signals, host, 6, true), Owner::SetUp(vec![1]));
    }

    #[test]
    fn a_record_long_after_any_connection_has_no_owner() {
        let signals = [
            conn(0, "10.0.0.7:50100", "{AAAA-1}"),
            sig("tls", "refusal", "SRV01", 30, &[]),
        ];
        let signals: Vec<&Signal> = signals.iter().collect();
        let c = Connections::build(&signals, [0]);
        assert_eq!(c.owner(&signals, "srv01", 1, true), Owner::Unknown);
    }
}
