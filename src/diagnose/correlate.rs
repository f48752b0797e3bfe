//! Incidents and the confidence ladder.
//!
//! For every cause and background rule, two passes (docs/RULES.md, "Diagnosis"):
//!
//! 1. **Attempt incidents.** Each client attempt, tied to the server its target names, is an
//!    incident for the rule's `client_server` rungs. The server's RdpCoreTS 131 closest to the
//!    attempt (within the skew tolerance) anchors the server clock: server evidence counts
//!    when it lies within `window` of the attempt as seen from the server (domain reference
//!    §4, the 0x904/0x7 skeleton: 1024 → 131 → cause → 1026).
//! 2. **Host incidents.** The rule's remaining matches, per host, split where they are more
//!    than `window` apart, are incidents for the `same_host` rungs.
//!
//! A rung holds only when its `when` is definitely true ([`Truth::True`]); a `not X` whose
//! logs were not given, or do not cover the time, is unknown and the rung does not hold.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::ops::Range;

use jiff::{SignedDuration, Timestamp};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::attempts::{build_attempts, Attempt};
use super::connections::{Connections, Owner};
use super::coverage::CoverageIndex;
use super::expr::{self, Truth};
use super::hosts::{self, host_key, resolve_target, ServerIdentity, TargetMatch};
use super::model::{
    reserved_side, ConfidenceView, Correlate, Level, RuleBook, RuleKind, RuleView, Scope,
    CLIENT_ATTEMPT, CLIENT_DISCONNECT, SERVER_CONNECTION,
};
use crate::signal::{Side, Signal};

/// One incident that reached a rung of its rule's ladder, before folding.
#[derive(Debug, Clone)]
pub struct Part {
    pub rule: usize,
    /// Host key of the host whose logs hold the deciding evidence.
    pub host: String,
    pub level: Level,
    pub why: String,
    pub attempt: Option<usize>,
    /// True when tied to a client's attempt through the server's logs.
    pub correlated: bool,
    /// The deciding records (own matches, then the attempt's and the anchor's events).
    pub evidence: Vec<usize>,
    /// Every own match folded into this incident.
    pub members: Vec<usize>,
}

/// Everything correlation knows: signals by rule and host, attempts, server identities.
pub struct World<'a> {
    pub signals: &'a [&'a Signal],
    pub book: &'a RuleBook,
    pub cover: &'a CoverageIndex,
    pub skew: SignedDuration,
    pub attempts: Vec<Attempt>,
    /// Server host key → addresses tied to it.
    pub addresses: BTreeMap<String, BTreeSet<IpAddr>>,
    /// (rule index, host key) → own matches, in time order.
    own: HashMap<(usize, String), Vec<usize>>,
    /// The RdpCoreTS 131 (`server_connection`) signals of every server.
    connections: Connections,
    /// Host key → the context rule's client signals, in time order.
    client_context: HashMap<String, Vec<usize>>,
    /// Per attempt: the server connection (131) that anchors it.
    anchors: Vec<Option<usize>>,
    /// Per attempt: tied to the only server only if its 131 confirms it (see resolve_targets).
    pending: Vec<bool>,
    /// (client, server) → the client's address as the server's 131 records it.
    client_ips: HashMap<(String, String), IpAddr>,
    /// (client, server) → server clock minus client clock, learnt from the anchors.
    clock_offsets: HashMap<(String, String), SignedDuration>,
}

/// `t + d`, saturating at the ends of the time range (input times can be anything).
pub fn plus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.saturating_add(d).unwrap_or(t)
}

/// `t - d`, saturating.
pub fn minus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.saturating_sub(d).unwrap_or(t)
}

fn time_of(s: &Signal) -> Timestamp {
    s.time().unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The indexes in `list` (time-ordered) whose time lies in `[from, to]`.
fn in_range<'l>(
    signals: &[&Signal],
    list: &'l [usize],
    from: Timestamp,
    to: Timestamp,
) -> &'l [usize] {
    let lo = list.partition_point(|&i| time_of(signals[i]) < from);
    let hi = list.partition_point(|&i| time_of(signals[i]) <= to);
    &list[lo..hi.max(lo)]
}

/// Puts in order places that come as a few runs, each in order (the matches of a few names,
/// or of a few spellings of one host): the runs are merged, unless the places are in order
/// already. A flood's single run of tens of thousands is left as it is: the merge would take
/// a buffer as large, memory touched for the first time.
fn sort_runs(places: &mut [usize]) {
    if !places.is_sorted() {
        places.sort();
    }
}

/// `decode`-style text for a client disconnect reason (1026 `Value`).
pub fn explain_reason(code: u32) -> String {
    let meaning = match code {
        1 => "local disconnection, not an error",
        2 => "remote disconnection by user, not an error",
        3 => "remote disconnection by server, not an error",
        260 | 1288 => "DNS name lookup failure",
        264 => "connection timed out",
        516 => "socket connect failed: nothing accepted the TCP connection",
        520 => "host not found",
        2056 => "license negotiation failed",
        2308 => "socket closed by the peer or the network (FD_CLOSE)",
        2312 => "licensing time-out",
        _ => "",
    };
    if meaning.is_empty() {
        format!("{code} (0x{code:X})")
    } else {
        format!("{code} (0x{code:X}): {meaning}")
    }
}

/// Formats a signed duration for a `why`: `2 s`, `-3 s`, `4 min 5 s`, `2 h 10 min`.
pub fn format_delta(d: SignedDuration) -> String {
    let secs = d.as_secs();
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    if s < 60 {
        format!("{sign}{s} s")
    } else if s < 3600 {
        let rest = s % 60;
        if rest == 0 {
            format!("{sign}{} min", s / 60)
        } else {
            format!("{sign}{} min {rest} s", s / 60)
        }
    } else if s < 86_400 {
        format!("{sign}{} h {} min", s / 3600, (s % 3600) / 60)
    } else {
        format!("{sign}{} d {} h", s / 86_400, (s % 86_400) / 3600)
    }
}

/// Formats a time for a `why`.
pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The outcome of evaluating one rung on one incident.
struct Bound {
    /// signal name → the matches that made it true.
    by_name: BTreeMap<String, Vec<usize>>,
    /// True when some server-side atom was decided from the server's logs.
    server_checked: bool,
}

impl Bound {
    /// The matches of the rule's own signals (not the context's), ascending, each once.
    fn own(&self, rule: &RuleView) -> Vec<usize> {
        let mut own: Vec<usize> = self
            .by_name
            .iter()
            .filter(|(n, _)| rule.signal(n).is_some())
            .flat_map(|(_, v)| v.iter().copied())
            .collect();
        sort_runs(&mut own);
        own.dedup();
        own
    }

    /// The matches of the names that are not the rule's own signals (the context's), name
    /// by name: the rule's own are all in [`Bound::own`].
    fn others(&self, rule: &RuleView) -> Vec<usize> {
        self.by_name
            .iter()
            .filter(|(n, _)| rule.signal(n).is_none())
            .flat_map(|(_, v)| v.iter().copied())
            .collect()
    }
}

/// How many (rule, host) lists [`Gathered::of`] keeps at hand.
const RECENT_LISTS: usize = 4;

/// What a [`World`] holds of the signals alone, gathered before the coverage is known: so that
/// the two can be worked out side by side.
pub struct Gathered {
    own: HashMap<(usize, String), Vec<usize>>,
    client_context: HashMap<String, Vec<usize>>,
    attempts: Vec<Attempt>,
    connections: Connections,
}

impl Gathered {
    /// The signals by rule and host, the client attempts and the server connections. A
    /// flood's signals are gathered in two halves side by side (beside the coverage, on the
    /// current rayon pool), each half's places in order, then joined.
    pub fn of(signals: &[&Signal], book: &RuleBook) -> Gathered {
        let rule_index: HashMap<&str, usize> = book
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let gather = |range: Range<usize>| gather_part(signals, range, book, &rule_index);
        let part = if signals.len() < GATHER_APART {
            gather(0..signals.len())
        } else {
            let half = signals.len() / 2;
            let (first, second) = rayon::join(|| gather(0..half), || gather(half..signals.len()));
            first.joined(second)
        };
        let GatheredPart {
            mut own,
            client_context,
            client_indexes,
            server_connections,
        } = part;
        // Runs in order, one per spelling (and half).
        for list in own.values_mut() {
            sort_runs(list);
        }
        Gathered {
            own,
            client_context,
            attempts: build_attempts(signals, &client_indexes),
            connections: Connections::build(signals, server_connections),
        }
    }
}

/// From how many signals [`Gathered::of`] gathers them in two halves side by side.
pub(super) const GATHER_APART: usize = 16_384;

/// What [`Gathered::of`] gathers of a stretch of the signals (their places are in the whole).
struct GatheredPart {
    /// By rule and host: a list per spelling of the host, one after the other.
    own: HashMap<(usize, String), Vec<usize>>,
    client_context: HashMap<String, Vec<usize>>,
    client_indexes: Vec<usize>,
    server_connections: Vec<usize>,
}

impl GatheredPart {
    /// This stretch's and the `later` one's, each list of this one followed by the later's.
    fn joined(mut self, later: GatheredPart) -> GatheredPart {
        for (key, mut list) in later.own {
            self.own.entry(key).or_default().append(&mut list);
        }
        for (key, mut list) in later.client_context {
            self.client_context
                .entry(key)
                .or_default()
                .append(&mut list);
        }
        self.client_indexes.extend(later.client_indexes);
        self.server_connections.extend(later.server_connections);
        self
    }
}

/// [`Gathered::of`] for the signals in `range`.
fn gather_part(
    signals: &[&Signal],
    range: Range<usize>,
    book: &RuleBook,
    rule_index: &HashMap<&str, usize>,
) -> GatheredPart {
    let mut server_connections: Vec<usize> = Vec::new();
    let mut client_context: HashMap<String, Vec<usize>> = HashMap::new();
    let mut client_indexes = Vec::new();
    // Own matches are gathered under (rule, host number): a flood's hundreds of thousands
    // of signals name a handful of hosts, whose keys are made once per spelling. Each
    // (rule, host number) has a list in `own_lists`.
    let mut own_lists: Vec<Vec<usize>> = Vec::new();
    let mut own_by_number: FxHashMap<(usize, usize), usize> = FxHashMap::default();
    let mut host_numbers: FxHashMap<&str, usize> = FxHashMap::default();
    let mut host_keys: Vec<String> = Vec::new();
    // Rules by where their id's text is (signals share one copy per rule), and the host
    // last numbered (most repeat it, as the same copy).
    let mut rule_at: FxHashMap<*const u8, Option<usize>> = FxHashMap::default();
    let mut last_host: Option<(&str, usize)> = None;
    // The lists of the last few (rule, host) texts looked up, by where the texts are: a
    // flood's signals take turns among a few, each one copy of its rule's and its host's
    // texts.
    let mut recent: Vec<(&str, &str, usize)> = Vec::with_capacity(RECENT_LISTS);
    let stretch = signals.iter().enumerate().take(range.end).skip(range.start);
    for (i, s) in stretch {
        let texts = (s.rule_id().as_ref(), s.host());
        let same = |&&(rule, host, _): &&(&str, &str, usize)| {
            std::ptr::eq(rule, texts.0) && std::ptr::eq(host, texts.1)
        };
        if let Some(&(.., list)) = recent.iter().find(same) {
            own_lists[list].push(i);
            continue;
        }
        let ri = *rule_at
            .entry(s.rule_id().as_ptr())
            .or_insert_with(|| rule_index.get(s.rule_id().as_ref()).copied());
        let Some(ri) = ri else {
            continue;
        };
        if book.rules[ri].kind != RuleKind::Context {
            let number = match last_host {
                Some((host, number)) if std::ptr::eq(host, s.host()) => number,
                _ => {
                    let number = *host_numbers.entry(s.host()).or_insert_with(|| {
                        host_keys.push(host_key(s.host()));
                        host_keys.len() - 1
                    });
                    last_host = Some((s.host(), number));
                    number
                }
            };
            let list = *own_by_number.entry((ri, number)).or_insert_with(|| {
                own_lists.push(Vec::new());
                own_lists.len() - 1
            });
            own_lists[list].push(i);
            if recent.len() == RECENT_LISTS {
                recent.remove(0);
            }
            recent.push((texts.0, texts.1, list));
            continue;
        }
        match reserved_side(s.signal_id()) {
            Some(Side::Client) => {
                client_indexes.push(i);
                client_context
                    .entry(host_key(s.host()))
                    .or_default()
                    .push(i);
            }
            Some(_) if s.signal_id().as_ref() == SERVER_CONNECTION => server_connections.push(i),
            _ => {}
        }
    }
    // Two spellings of one host (case, a trailing dot) are one host: their matches merge,
    // in time order.
    let mut own: HashMap<(usize, String), Vec<usize>> = HashMap::new();
    for ((ri, number), list) in own_by_number {
        let merged = own.entry((ri, host_keys[number].clone())).or_default();
        if merged.is_empty() {
            std::mem::swap(merged, &mut own_lists[list]);
        } else {
            merged.append(&mut own_lists[list]);
        }
    }
    GatheredPart {
        own,
        client_context,
        client_indexes,
        server_connections,
    }
}

impl<'a> World<'a> {
    /// The world of `signals`, from what was gathered of them ([`Gathered::of`]) and their
    /// coverage: attempts tied to servers and anchored to their connections.
    pub fn build(
        gathered: Gathered,
        signals: &'a [&'a Signal],
        book: &'a RuleBook,
        cover: &'a CoverageIndex,
        skew: SignedDuration,
    ) -> World<'a> {
        let Gathered {
            own,
            client_context,
            attempts,
            connections,
        } = gathered;
        let mut world = World {
            signals,
            book,
            cover,
            skew,
            anchors: vec![None; attempts.len()],
            attempts,
            addresses: BTreeMap::new(),
            own,
            connections,
            client_context,
            client_ips: HashMap::new(),
            clock_offsets: HashMap::new(),
            pending: Vec::new(),
        };
        world.resolve_targets();
        world.anchor_attempts();
        world
    }

    fn server_identities(&self) -> Vec<ServerIdentity> {
        self.cover
            .hosts_with_role(Side::Server)
            .into_iter()
            .map(|key| ServerIdentity {
                names: vec![self.cover.name_of(&key)],
                addresses: self
                    .addresses
                    .get(&key)
                    .map(|a| a.iter().copied().collect())
                    .unwrap_or_default(),
                key,
            })
            .collect()
    }

    /// Ties each attempt's target to a server: by name first, learning the addresses that
    /// name-matched attempts reached (1024 as an address, 1102), then by those addresses.
    fn resolve_targets(&mut self) {
        let servers = self.server_identities();
        for a in &self.attempts {
            if let Some((key, TargetMatch::Name)) =
                resolve_target(a.target.as_deref(), None, &servers)
            {
                let learnt = a
                    .transport_ip
                    .iter()
                    .chain(a.target.iter())
                    .filter_map(|v| hosts::parse_ip(v));
                self.addresses.entry(key).or_default().extend(learnt);
            }
        }
        let servers = self.server_identities();
        for a in &mut self.attempts {
            a.server = resolve_target(a.target.as_deref(), a.transport_ip.as_deref(), &servers);
        }
        // A target that the same client uses beside the server's own name or address may be
        // another machine, or an alias (a DNS CNAME) of this one: it stays pending until the
        // server's 131 from that client, at the time of the attempt, confirms it.
        let known: HashMap<(String, String), BTreeSet<String>> = self
            .attempts
            .iter()
            .filter_map(|a| match &a.server {
                Some((s, TargetMatch::Name | TargetMatch::Address)) => Some((
                    (a.client.clone(), s.clone()),
                    a.target
                        .as_deref()
                        .map(hosts::target_host)
                        .unwrap_or_default(),
                )),
                _ => None,
            })
            .fold(HashMap::new(), |mut m, (k, t)| {
                m.entry(k)
                    .or_insert_with(BTreeSet::new)
                    .insert(t.to_ascii_lowercase());
                m
            });
        self.pending = self
            .attempts
            .iter()
            .map(|a| match &a.server {
                Some((s, TargetMatch::OnlyServer)) => {
                    let target = a
                        .target
                        .as_deref()
                        .map(hosts::target_host)
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    known
                        .get(&(a.client.clone(), s.clone()))
                        .is_some_and(|names| !names.contains(&target))
                }
                _ => false,
            })
            .collect();
    }

    /// Ties each attempt to the server's RdpCoreTS 131 that records its arrival.
    ///
    /// Client logs do not carry the client's own address, and the two clocks differ, so both
    /// are learnt per (client, server) pair ([`Self::learn_address_and_offset`]). An attempt is
    /// then anchored to the 131 from that address closest to its start shifted by the offset;
    /// with the address known, a 131 from another address never counts. An attempt whose own
    /// code says no TCP connection was opened (516, 264, DNS) is never anchored.
    fn anchor_attempts(&mut self) {
        let candidates: Vec<Vec<usize>> = self
            .attempts
            .iter()
            .map(|a| {
                let Some((server, _)) = &a.server else {
                    return Vec::new();
                };
                if a.never_opened_tcp() {
                    // No connection reached any server: another client's 131 nearby is not it.
                    return Vec::new();
                }
                let Some(list) = self.connections.of_host(server) else {
                    return Vec::new();
                };
                in_range(
                    self.signals,
                    list,
                    minus(a.start, self.skew),
                    plus(a.end, self.skew),
                )
                .to_vec()
            })
            .collect();
        self.learn_address_and_offset(&candidates);
        let ip_of = |i: usize| Connections::client_ip(self.signals, i);
        let pick = |ai: usize, a: &Attempt, offset: Option<SignedDuration>, ip: Option<IpAddr>| {
            let expected = plus(a.start, offset.unwrap_or_default());
            // With the offset known, the 131 comes within a minute of the expected time
            // (connection set-up); without it, anywhere within the skew tolerance.
            let reach = match offset {
                Some(_) => SignedDuration::from_mins(1),
                None => SignedDuration::MAX,
            };
            candidates[ai]
                .iter()
                .copied()
                .filter(|&i| ip.is_none() || ip_of(i) == ip)
                .map(|i| (time_of(self.signals[i]).duration_since(expected).abs(), i))
                .filter(|(d, _)| *d <= reach)
                .min()
                .map(|(_, i)| i)
        };
        for (ai, a) in self.attempts.iter().enumerate() {
            let Some((server, _)) = &a.server else {
                continue;
            };
            let pair = (a.client.clone(), server.clone());
            let ip = self.client_ips.get(&pair).copied();
            let offset = self.clock_offsets.get(&pair).copied();
            if self.pending[ai] && (ip.is_none() || offset.is_none()) {
                continue;
            }
            self.anchors[ai] = pick(ai, a, offset, ip);
        }
        for ai in 0..self.attempts.len() {
            if self.pending[ai] && self.anchors[ai].is_none() {
                self.attempts[ai].server = None;
            }
        }
    }

    /// Learns, per (client, server) pair, the client's address as the server's 131 records it
    /// and the server's clock offset, from the 131s near each attempt (`candidates`).
    ///
    /// Both are learnt together: the hypothesis "the client is address A and the server's clock
    /// runs D ahead" is supported by every attempt that has a 131 from A at distance D (within
    /// 2 s). Other users', terminals' and scanners' connections come at times unrelated to this
    /// client's attempts, so they rarely line up with two attempts at one distance, while a
    /// client's own connections do whenever they reach the server. The best hypothesis is taken
    /// when at least two attempts support it and no other address is supported as well, or when
    /// the pair has a single attempt near 131s from one address only. Without an address, a
    /// distance that two attempts share still gives the clock offset.
    fn learn_address_and_offset(&mut self, candidates: &[Vec<usize>]) {
        type Observation = (usize, Option<IpAddr>, SignedDuration);
        let mut observed: HashMap<(String, String), Vec<Observation>> = HashMap::new();
        for (ai, a) in self.attempts.iter().enumerate() {
            let Some((server, _)) = &a.server else {
                continue;
            };
            if self.pending[ai] {
                continue;
            }
            let list = observed
                .entry((a.client.clone(), server.clone()))
                .or_default();
            for &i in &candidates[ai] {
                list.push((
                    ai,
                    Connections::client_ip(self.signals, i),
                    time_of(self.signals[i]).duration_since(a.start),
                ));
            }
        }
        let tolerance = SignedDuration::from_secs(2);
        for (pair, list) in observed {
            let list: Vec<Observation> = list.into_iter().take(4096).collect();
            // Attempts with a 131 from `ip` (any address when `None`) at about distance `d`.
            let support = |ip: Option<IpAddr>, d: SignedDuration| {
                list.iter()
                    .filter(|(_, o_ip, e)| {
                        (ip.is_none() || *o_ip == ip) && (*e - d).abs() <= tolerance
                    })
                    .map(|(ai, _, _)| *ai)
                    .collect::<BTreeSet<usize>>()
                    .len()
            };
            let best = list
                .iter()
                .filter(|(_, ip, _)| ip.is_some())
                .map(|&(_, ip, d)| (support(ip, d), std::cmp::Reverse(d.abs()), ip, d))
                .max();
            if let Some((n, _, Some(ip), d)) = best {
                let rival = list
                    .iter()
                    .filter(|(_, o_ip, _)| o_ip.is_some() && *o_ip != Some(ip))
                    .map(|&(_, o_ip, e)| support(o_ip, e))
                    .max()
                    .unwrap_or(0);
                let attempts: BTreeSet<usize> = list.iter().map(|(ai, _, _)| *ai).collect();
                let lone = attempts.len() == 1 && list.iter().all(|(_, o_ip, _)| *o_ip == Some(ip));
                if (n >= 2 && n > rival) || lone {
                    self.client_ips.insert(pair.clone(), ip);
                    self.clock_offsets.insert(pair, d);
                    continue;
                }
            }
            let shared = list
                .iter()
                .map(|&(_, _, d)| (support(None, d), std::cmp::Reverse(d.abs()), d))
                .max();
            if let Some((n, _, d)) = shared {
                if n >= 2 {
                    self.clock_offsets.insert(pair, d);
                }
            }
        }
    }

    /// The clock offset (server minus client) of attempt `ai`: learnt for its pair of hosts,
    /// else the distance to its own 131.
    pub fn clock_offset(&self, ai: usize) -> Option<SignedDuration> {
        let a = self.attempts.get(ai)?;
        let (server, _) = a.server.as_ref()?;
        self.clock_offsets
            .get(&(a.client.clone(), server.clone()))
            .copied()
            .or_else(|| {
                let anchor = self.server_connection_of(ai)?;
                Some(time_of(self.signals[anchor]).duration_since(a.start))
            })
    }

    /// The learnt address of attempt `ai`'s client as its server sees it, if any.
    pub fn client_ip(&self, ai: usize) -> Option<IpAddr> {
        let a = self.attempts.get(ai)?;
        let (server, _) = a.server.as_ref()?;
        self.client_ips
            .get(&(a.client.clone(), server.clone()))
            .copied()
    }

    /// The RdpCoreTS 131 tied to attempt `ai`, if any.
    pub fn server_connection_of(&self, ai: usize) -> Option<usize> {
        self.anchors.get(ai).copied().flatten()
    }

    /// Runs every cause and background rule; returns the incidents that reached a rung.
    /// The rules are run side by side on the current rayon pool (a scan's: as many threads as
    /// it reads with), each on its own; their incidents come in rule order.
    pub fn run(&self) -> Vec<Part> {
        let per_rule: Vec<Vec<Part>> = (0..self.book.rules.len())
            .into_par_iter()
            .map(|ri| self.run_rule(ri))
            .collect();
        per_rule.into_iter().flatten().collect()
    }

    /// The incidents of rule `ri` that reached a rung: the attempts', then each host's.
    fn run_rule(&self, ri: usize) -> Vec<Part> {
        let mut parts = Vec::new();
        let rule = &self.book.rules[ri];
        if rule.kind == RuleKind::Context || rule.confidence.is_empty() {
            return parts;
        }
        let mut consumed: FxHashSet<usize> = FxHashSet::default();
        let has_client_server = rule
            .confidence
            .iter()
            .any(|c| c.correlate == Correlate::ClientServer);
        if has_client_server {
            for ai in 0..self.attempts.len() {
                if let Some(part) = self.attempt_incident(ri, rule, ai) {
                    consumed.extend(part.members.iter().copied());
                    parts.push(part);
                }
            }
        }
        let mut hosts: Vec<&String> = self
            .own
            .keys()
            .filter(|(r, _)| *r == ri)
            .map(|(_, h)| h)
            .collect();
        hosts.sort();
        for host in hosts {
            let list = &self.own[&(ri, host.clone())];
            let unclaimed: Vec<usize>;
            let list = if consumed.is_empty() {
                list
            } else {
                unclaimed = list
                    .iter()
                    .copied()
                    .filter(|i| !consumed.contains(i))
                    .collect();
                &unclaimed
            };
            // The clusters are stretches of the list, each copied once whole (a flood's is
            // tens of thousands of places: grown place by place, it would be copied as it
            // grows). Times as nanoseconds, each read once.
            let window = rule.window.as_nanos();
            let mut starts = vec![0];
            let mut last: Option<i128> = None;
            for (at, &i) in list.iter().enumerate() {
                let t = time_of(self.signals[i]).as_nanosecond();
                if last.is_some_and(|last| t - last > window) {
                    starts.push(at);
                }
                last = Some(t);
            }
            starts.push(list.len());
            let clusters = starts
                .windows(2)
                .map(|w| list[w[0]..w[1]].to_vec())
                .filter(|c| !c.is_empty());
            for c in clusters {
                if let Some(part) = self.host_incident(ri, rule, host, c) {
                    parts.push(part);
                }
            }
        }
        parts
    }

    /// The client's attempt `ai` as an incident of rule `rule`.
    fn attempt_incident(&self, ri: usize, rule: &RuleView, ai: usize) -> Option<Part> {
        let a = &self.attempts[ai];
        for entry in &rule.confidence {
            match entry.correlate {
                Correlate::SameHost => {
                    // A same-host rung above would claim these signals in the host pass.
                    let attached = self.attached(ri, rule, ai);
                    if attached.is_empty() {
                        continue;
                    }
                    let host = host_key(self.signals[attached[0]].host());
                    let on_host: Vec<usize> = attached
                        .into_iter()
                        .filter(|&i| host_key(self.signals[i].host()) == host)
                        .collect();
                    let on_host = Cluster::new(self.signals, on_host);
                    if self
                        .eval_same_host(ri, rule, entry, &host, &on_host)
                        .is_some()
                    {
                        return None;
                    }
                }
                Correlate::ClientServer => {
                    let Some(bound) = self.eval_attempt(ri, rule, entry, ai) else {
                        continue;
                    };
                    let own = bound.own(rule);
                    if !thresholds_hold(self.signals, entry, &own) {
                        continue;
                    }
                    let server_side = bound
                        .by_name
                        .values()
                        .flatten()
                        .any(|&i| self.signals[i].side() != Side::Client);
                    let host = match (&a.server, server_side) {
                        (Some((s, _)), true) => s.clone(),
                        _ => a.client.clone(),
                    };
                    let correlated = server_side || bound.server_checked;
                    let mut level = entry.level;
                    if !correlated {
                        level = level.min(Level::Medium);
                    }
                    let mut why = self.render_why(entry, &bound, Some(ai), &host, &own);
                    if let Some(offset) = self.clock_offset(ai).filter(|_| server_side) {
                        if offset.as_secs().abs() >= 5 {
                            let (amount, way) = if offset.is_negative() {
                                (format_delta(-offset), "behind")
                            } else {
                                (format_delta(offset), "ahead of")
                            };
                            why.push_str(&format!(
                                " (the server's clock runs {amount} {way} the client's; times are compared after correcting it)"
                            ));
                        }
                    }
                    if let Some((s, TargetMatch::OnlyServer)) = &a.server {
                        if correlated {
                            why.push_str(&format!(
                                " ({} taken as the target `{}`: the only server whose logs were given)",
                                self.cover.name_of(s),
                                a.target.as_deref().unwrap_or("?")
                            ));
                        }
                    }
                    let mut others = bound.others(rule);
                    for name in [CLIENT_ATTEMPT, CLIENT_DISCONNECT] {
                        others.extend(
                            a.signals
                                .iter()
                                .copied()
                                .filter(|&i| self.signals[i].signal_id().as_ref() == name),
                        );
                    }
                    if let Some(anchor) = self.server_connection_of(ai) {
                        others.push(anchor);
                    }
                    let evidence = own_then_others(&own, others);
                    return Some(Part {
                        rule: ri,
                        host,
                        level,
                        why,
                        attempt: Some(ai),
                        correlated,
                        evidence,
                        members: own,
                    });
                }
            }
        }
        None
    }

    /// The rule's own matches that fall into attempt `ai` (client side) or into its server's
    /// window (other sides).
    fn attached(&self, ri: usize, rule: &RuleView, ai: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for s in &rule.signals {
            out.extend(self.own_for_attempt(ri, rule, &s.name, s.side, ai));
        }
        // Each signal's matches are in order already.
        sort_runs(&mut out);
        out.dedup();
        out
    }

    /// The server-clock range of attempt `ai`: the attempt's span shifted by the anchor's
    /// offset, widened by `window` (or, without an anchor, by `window` and the skew).
    fn server_range(&self, ai: usize, window: SignedDuration) -> (Timestamp, Timestamp) {
        let a = &self.attempts[ai];
        match self.server_connection_of(ai) {
            Some(anchor) => {
                let offset = time_of(self.signals[anchor]).duration_since(a.start);
                (
                    minus(plus(a.start, offset), window),
                    plus(plus(a.end, offset), window),
                )
            }
            None => match self.clock_offset(ai) {
                Some(offset) => (
                    minus(plus(a.start, offset), window),
                    plus(plus(a.end, offset), window),
                ),
                None => (
                    minus(minus(a.start, window), self.skew),
                    plus(plus(a.end, window), self.skew),
                ),
            },
        }
    }

    fn own_for_attempt(
        &self,
        ri: usize,
        rule: &RuleView,
        name: &str,
        side: Side,
        ai: usize,
    ) -> Vec<usize> {
        let a = &self.attempts[ai];
        if side == Side::Client {
            let Some(list) = self.own.get(&(ri, a.client.clone())) else {
                return Vec::new();
            };
            let wide = in_range(
                self.signals,
                list,
                minus(minus(a.start, rule.window), self.skew),
                plus(plus(a.end, rule.window), self.skew),
            );
            wide.iter()
                .copied()
                .filter(|&i| {
                    let s = &self.signals[i];
                    if s.signal_id().as_ref() != name {
                        return false;
                    }
                    match (&s.event.activity_id, &a.activity_id) {
                        (Some(x), Some(y)) if x == y => true,
                        (Some(_), Some(_)) => false,
                        _ => {
                            let t = time_of(s);
                            t >= minus(a.start, rule.window) && t <= plus(a.end, rule.window)
                        }
                    }
                })
                .collect()
        } else {
            let Some((server, _)) = &a.server else {
                return Vec::new();
            };
            let Some(list) = self.own.get(&(ri, server.clone())) else {
                return Vec::new();
            };
            let (from, to) = self.server_range(ai, rule.window);
            let scope = rule.signal(name).map_or(Scope::Host, |s| s.scope);
            in_range(self.signals, list, from, to)
                .iter()
                .copied()
                .filter(|&i| self.signals[i].signal_id().as_ref() == name)
                .filter(|&i| self.of_attempt_connection(ai, server, i, scope))
                .collect()
        }
    }

    /// Whether server record `i` on `server` may belong to attempt `ai`'s own connection: a
    /// record that its ActivityID, the client address it names, or (for `scope: connection`)
    /// the set-up it was logged in ties to another client's connection is not evidence about
    /// this attempt, however close in time (module [`super::connections`]). When the attempt's
    /// own connection is unknown (no 131 anchors it and its address was not learnt), nothing
    /// can be excluded.
    fn of_attempt_connection(&self, ai: usize, server: &str, i: usize, scope: Scope) -> bool {
        let anchor = self.server_connection_of(ai);
        let own_ip = anchor
            .and_then(|c| Connections::client_ip(self.signals, c))
            .or_else(|| self.client_ip(ai));
        if anchor.is_none() && own_ip.is_none() {
            return true;
        }
        let is_own = |c: usize| {
            Some(c) == anchor
                || own_ip.is_some_and(|ip| Connections::client_ip(self.signals, c) == Some(ip))
        };
        match self
            .connections
            .owner(self.signals, server, i, scope == Scope::Connection)
        {
            Owner::Unknown => true,
            Owner::Activity(c) => is_own(c),
            Owner::Address(ip) => own_ip.is_none_or(|own| own == ip),
            Owner::SetUp(near) => near.iter().any(|&c| is_own(c)),
        }
    }

    /// Evaluates a `client_server` rung on attempt `ai`.
    fn eval_attempt(
        &self,
        ri: usize,
        rule: &RuleView,
        entry: &ConfidenceView,
        ai: usize,
    ) -> Option<Bound> {
        let a = &self.attempts[ai];
        let mut bound = Bound {
            by_name: BTreeMap::new(),
            server_checked: false,
        };
        let truth = expr::eval(&entry.when, &mut |name| {
            let Some(spec) = self.book.signal_for(rule, name) else {
                return Truth::False;
            };
            let is_reserved = rule.signal(name).is_none();
            let found: Vec<usize> = if is_reserved {
                if spec.side == Side::Client {
                    a.signals
                        .iter()
                        .copied()
                        .filter(|&i| self.signals[i].signal_id().as_ref() == name)
                        .collect()
                } else if name == SERVER_CONNECTION {
                    self.server_connection_of(ai).into_iter().collect()
                } else {
                    Vec::new()
                }
            } else {
                self.own_for_attempt(ri, rule, name, spec.side, ai)
            };
            if !found.is_empty() {
                if spec.side != Side::Client {
                    bound.server_checked = true;
                }
                bound.by_name.insert(name.to_string(), found);
                return Truth::True;
            }
            // Absent: false only where the logs that would hold it were given for that time.
            let host = if spec.side == Side::Client {
                Some(a.client.as_str())
            } else {
                a.server.as_ref().map(|(s, _)| s.as_str())
            };
            match host {
                Some(h) if self.cover.covers(h, &spec.channels, a.start) => {
                    if spec.side != Side::Client {
                        bound.server_checked = true;
                    }
                    Truth::False
                }
                Some(h)
                    if spec.side == Side::Client && h == a.client && spec.channels.is_empty() =>
                {
                    Truth::False
                }
                _ => Truth::Unknown,
            }
        });
        (truth == Truth::True).then_some(bound)
    }

    /// The rule's remaining matches on `host`, close in time, as an incident.
    fn host_incident(
        &self,
        ri: usize,
        rule: &RuleView,
        host: &str,
        cluster: Vec<usize>,
    ) -> Option<Part> {
        let cluster = Cluster::new(self.signals, cluster);
        for entry in &rule.confidence {
            if entry.correlate != Correlate::SameHost {
                continue;
            }
            let Some(bound) = self.eval_same_host(ri, rule, entry, host, &cluster) else {
                continue;
            };
            let own = bound.own(rule);
            let mut level = entry.level;
            let client_only = cluster
                .all
                .iter()
                .all(|&i| self.signals[i].side() == Side::Client);
            if client_only {
                // Client evidence says that and when, not why (domain reference §1.1).
                level = level.min(Level::Medium);
            }
            if rule.kind == RuleKind::Background {
                level = Level::Info;
            }
            let why = self.render_why(entry, &bound, None, host, &own);
            let evidence = own_then_others(&own, bound.others(rule));
            return Some(Part {
                rule: ri,
                host: host.to_string(),
                level,
                why,
                attempt: None,
                correlated: false,
                evidence,
                members: cluster.all,
            });
        }
        None
    }

    /// Evaluates a `same_host` rung on the matches `cluster` on `host`.
    fn eval_same_host(
        &self,
        _ri: usize,
        rule: &RuleView,
        entry: &ConfidenceView,
        host: &str,
        cluster: &Cluster<'_>,
    ) -> Option<Bound> {
        let (first, last) = cluster.span?;
        let (from, to) = (minus(first, rule.window), plus(last, rule.window));
        let mut bound = Bound {
            by_name: BTreeMap::new(),
            server_checked: false,
        };
        let truth = expr::eval(&entry.when, &mut |name| {
            let Some(spec) = self.book.signal_for(rule, name) else {
                return Truth::False;
            };
            let found: Vec<usize> = if rule.signal(name).is_some() {
                cluster.of(name).to_vec()
            } else {
                let list = if name == SERVER_CONNECTION {
                    self.connections.of_host(host)
                } else {
                    self.client_context.get(host)
                };
                list.map(|l| {
                    in_range(self.signals, l, from, to)
                        .iter()
                        .copied()
                        .filter(|&i| self.signals[i].signal_id().as_ref() == name)
                        .collect()
                })
                .unwrap_or_default()
            };
            if !found.is_empty() {
                bound.by_name.insert(name.to_string(), found);
                Truth::True
            } else if self.cover.covers(host, &spec.channels, first)
                || (rule.signal(name).is_some() && spec.channels.is_empty())
            {
                Truth::False
            } else {
                Truth::Unknown
            }
        });
        if truth != Truth::True {
            return None;
        }
        // Counted, and their values told apart: in any order.
        let own: Vec<usize> = expr::positive_names(&entry.when)
            .iter()
            .flat_map(|name| cluster.of(name).iter().copied())
            .collect();
        thresholds_hold(self.signals, entry, &own).then_some(bound)
    }

    /// Fills a rung's `why` template (docs/RULES.md, "Confidence"); `own` are the rung's own
    /// matches, ascending.
    fn render_why(
        &self,
        entry: &ConfidenceView,
        bound: &Bound,
        attempt: Option<usize>,
        host: &str,
        own: &[usize],
    ) -> String {
        let a = attempt.map(|ai| &self.attempts[ai]);
        let server = a
            .and_then(|a| a.server.as_ref().map(|(s, _)| self.cover.name_of(s)))
            .unwrap_or_else(|| {
                if a.is_none() {
                    self.cover.name_of(host)
                } else {
                    "the server".into()
                }
            });
        // `own` is ascending ([`Bound::own`]), so in time order.
        let first = own.first().map(|&i| time_of(self.signals[i]));
        let last = own.last().map(|&i| time_of(self.signals[i]));
        let delta = a.and_then(|a| {
            let server_time = bound
                .by_name
                .values()
                .flatten()
                .filter(|&&i| self.signals[i].side() != Side::Client)
                .map(|&i| time_of(self.signals[i]))
                .min()?;
            let offset = attempt
                .and_then(|ai| self.clock_offset(ai))
                .unwrap_or_default();
            Some(format_delta(
                server_time.duration_since(plus(a.start, offset)),
            ))
        });
        render_template(&entry.why, &mut |key| {
            Some(match key {
                "host" => self.cover.name_of(host),
                "server" => server.clone(),
                "client" => self.cover.name_of(&a?.client),
                "target" => a?.target.clone()?,
                "delta" => delta.clone()?,
                "count" => own.len().to_string(),
                "first" => format_time(first?),
                "last" => format_time(last?),
                other => {
                    let (sig, field) = other.split_once('.')?;
                    let i = *bound.by_name.get(sig)?.first().or_else(|| {
                        a.and_then(|a| {
                            a.signals
                                .iter()
                                .find(|&&i| self.signals[i].signal_id().as_ref() == sig)
                        })
                    })?;
                    self.signals[i].field(field)?.into_owned()
                }
            })
        })
    }
}

/// A same-host incident's matches (ascending), their time span, and the same matches by
/// signal name: every rung asks for its signals by name, and a flood's incident holds tens of
/// thousands of matches.
struct Cluster<'s> {
    all: Vec<usize>,
    span: Option<(Timestamp, Timestamp)>,
    /// The matches of each signal name: a rule has a few, so they are looked through, and a
    /// flood's signals share their name's text, so most are told by where it is.
    by_signal: Vec<(&'s str, Vec<usize>)>,
}

impl<'s> Cluster<'s> {
    /// The cluster of the matches `all`, ascending: in time order, as `signals` are.
    fn new(signals: &'s [&'s Signal], all: Vec<usize>) -> Cluster<'s> {
        debug_assert!(all.is_sorted());
        // The span is from the first match's time to the last's.
        let span = all
            .first()
            .zip(all.last())
            .map(|(&first, &last)| (time_of(signals[first]), time_of(signals[last])));
        let mut by_signal: Vec<(&'s str, Vec<usize>)> = Vec::new();
        for &i in &all {
            let name: &'s str = signals[i].signal_id();
            let known = by_signal
                .iter()
                .position(|(n, _)| std::ptr::eq(*n, name))
                .or_else(|| by_signal.iter().position(|(n, _)| *n == name));
            match known {
                Some(at) => by_signal[at].1.push(i),
                None => by_signal.push((name, vec![i])),
            }
        }
        Cluster {
            all,
            span,
            by_signal,
        }
    }

    /// The matches of signal `name`, ascending.
    fn of(&self, name: &str) -> &[usize] {
        self.by_signal
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[], |(_, list)| list.as_slice())
    }
}

/// `min_count` and `min_distinct` of a rung over the matches of its positively named signals.
fn thresholds_hold(signals: &[&Signal], entry: &ConfidenceView, own: &[usize]) -> bool {
    if let Some(min) = entry.min_count {
        if (own.len() as u64) < min {
            return false;
        }
    }
    if let Some((field, min)) = &entry.min_distinct {
        let distinct: HashSet<String> = own
            .iter()
            .filter_map(|&i| signals[i].field(field))
            .map(|v| {
                hosts::parse_ip(&v)
                    .map(|ip| ip.to_string())
                    .unwrap_or_else(|| v.to_ascii_lowercase())
            })
            .collect();
        if (distinct.len() as u64) < *min {
            return false;
        }
    }
    true
}

/// The evidence of an incident: `own` (ascending, each once), then each of `others` that is
/// not among them, once, where it first comes.
fn own_then_others(own: &[usize], others: Vec<usize>) -> Vec<usize> {
    debug_assert!(
        own.windows(2).all(|w| w[0] < w[1]),
        "own is ascending, each once"
    );
    // Only the others are hashed: a flood's incident owns tens of thousands of matches, and
    // its others are the few context records. (Not a flag per signal of the scan: an
    // attempt's incident holds a few, and there may be thousands of attempts.)
    let mut seen = FxHashSet::with_capacity_and_hasher(others.len(), Default::default());
    let mut evidence = Vec::with_capacity(own.len() + others.len());
    evidence.extend_from_slice(own);
    evidence.extend(
        others
            .into_iter()
            .filter(|i| own.binary_search(i).is_err() && seen.insert(*i)),
    );
    evidence
}

/// Replaces `{key}` in `template`; a key with no value renders as `?`.
pub fn render_template(template: &str, value: &mut dyn FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let key = &after[..close];
                out.push_str(&value(key.trim()).unwrap_or_else(|| "?".into()));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::own_then_others;

    #[test]
    fn evidence_is_own_then_each_other_once_in_the_order_first_seen() {
        let own = [2, 5, 9];
        assert_eq!(
            own_then_others(&own, vec![7, 5, 1, 7, 9, 3, 1]),
            [2, 5, 9, 7, 1, 3]
        );
        assert_eq!(own_then_others(&own, Vec::new()), own);
        assert_eq!(own_then_others(&[], vec![4, 4, 0]), [4, 0]);
    }
}
