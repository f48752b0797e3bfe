//! Host identity: which `Computer` names are one machine, and which server a client's target
//! (RDPClient 1024 `Value`, 1102 `Value`) names.
//!
//! Rules from docs/RULES.md "Hosts": names are equal case-insensitively or one is the first
//! label of the other; an address matches when the server's logs show it as its own; when no
//! name matches and exactly one server was given, that server is taken as the target.

use std::net::IpAddr;

/// A host's identity key: the `Computer` value, lower-cased.
pub fn host_key(computer: &str) -> String {
    computer.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The first DNS label of a name (`srv01` of `SRV01.corp.example`), lower-cased.
fn first_label(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// Whether two host names denote the same machine: equal, or one is the first label of the
/// other (`srv01` and `srv01.corp.example`). Addresses never match names here.
pub fn names_match(a: &str, b: &str) -> bool {
    let a = host_key(a);
    let b = host_key(b);
    if a.is_empty() || b.is_empty() || parse_ip(&a).is_some() || parse_ip(&b).is_some() {
        return a == b && !a.is_empty();
    }
    if a == b {
        return true;
    }
    (!a.contains('.') && a == first_label(&b)) || (!b.contains('.') && b == first_label(&a))
}

/// Parses an address as logs write it: `10.0.0.5`, `10.0.0.5:50123`, `[fe80::1]:3389`,
/// `::ffff:10.0.0.5`. The port, brackets and the IPv4-mapped prefix are dropped (domain
/// reference, conventions: IP normalisation).
pub fn parse_ip(raw: &str) -> Option<IpAddr> {
    let s = raw.trim();
    if s.is_empty() || s == "-" {
        return None;
    }
    let unwrapped = if let Some(rest) = s.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        s
    };
    let ip = unwrapped
        .parse::<IpAddr>()
        .ok()
        .or_else(|| {
            // `a.b.c.d:port` (one colon only: more colons mean IPv6 without brackets).
            let (host, port) = unwrapped.rsplit_once(':')?;
            if host.contains(':') || port.parse::<u16>().is_err() {
                return None;
            }
            host.parse::<IpAddr>().ok()
        })
        .or_else(|| {
            // A zone index (`fe80::1%12`).
            let (host, _) = unwrapped.split_once('%')?;
            host.parse::<IpAddr>().ok()
        })?;
    Some(match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    })
}

/// The host part of a client's target as typed (`srv01:3390` → `srv01`; addresses
/// normalized as in [`parse_ip`]).
pub fn target_host(raw: &str) -> String {
    let s = raw.trim();
    if let Some(ip) = parse_ip(s) {
        return ip.to_string();
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => {
            host.to_string()
        }
        _ => s.to_string(),
    }
}

/// How a client's target was tied to a server host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetMatch {
    /// The target name is the server's `Computer` (or its first label).
    Name,
    /// The target address is one the logs tie to that server.
    Address,
    /// No name matched; the only server whose logs were given was taken.
    OnlyServer,
}

/// A server the target may resolve to: its key, its names, its known addresses.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    pub key: String,
    pub names: Vec<String>,
    pub addresses: Vec<IpAddr>,
}

/// Resolves a target (name or address, as typed) and an optional transport address (1102) to
/// one of `servers`.
pub fn resolve_target(
    target: Option<&str>,
    transport_ip: Option<&str>,
    servers: &[ServerIdentity],
) -> Option<(String, TargetMatch)> {
    if let Some(t) = target {
        let host = target_host(t);
        if parse_ip(&host).is_none() {
            let by_name: Vec<&ServerIdentity> = servers
                .iter()
                .filter(|s| s.names.iter().any(|n| names_match(n, &host)))
                .collect();
            if by_name.len() == 1 {
                return Some((by_name[0].key.clone(), TargetMatch::Name));
            }
        }
    }
    let addrs: Vec<IpAddr> = target
        .map(target_host)
        .iter()
        .chain(transport_ip.map(str::to_string).iter())
        .filter_map(|s| parse_ip(s))
        .collect();
    for addr in &addrs {
        let by_addr: Vec<&ServerIdentity> = servers
            .iter()
            .filter(|s| s.addresses.contains(addr))
            .collect();
        if by_addr.len() == 1 {
            return Some((by_addr[0].key.clone(), TargetMatch::Address));
        }
    }
    if servers.len() == 1 {
        return Some((servers[0].key.clone(), TargetMatch::OnlyServer));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_name_matches_fqdn_case_insensitively() {
        assert!(names_match("srv01", "SRV01.corp.example"));
        assert!(names_match("SRV01.corp.example", "srv01.CORP.example"));
        assert!(!names_match("srv01", "srv011.corp.example"));
        assert!(!names_match("srv01.a.example", "srv01.b.example"));
        assert!(!names_match("10.0.0.5", "10"));
    }

    #[test]
    fn addresses_normalize() {
        let want: IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(parse_ip("10.0.0.5:50123"), Some(want));
        assert_eq!(parse_ip("::ffff:10.0.0.5"), Some(want));
        assert_eq!(parse_ip("[::ffff:10.0.0.5]:3389"), Some(want));
        assert_eq!(parse_ip("[fe80::1]:3389"), "fe80::1".parse().ok());
        assert_eq!(parse_ip("-"), None);
        assert_eq!(parse_ip("srv01"), None);
        assert_eq!(target_host("srv01:3390"), "srv01");
    }

    #[test]
    fn targets_resolve_by_name_then_address_then_only_server() {
        let servers = vec![
            ServerIdentity {
                key: "srv01.corp.example".into(),
                names: vec!["SRV01.corp.example".into()],
                addresses: vec!["10.0.0.10".parse().unwrap()],
            },
            ServerIdentity {
                key: "srv02".into(),
                names: vec!["SRV02".into()],
                addresses: vec![],
            },
        ];
        assert_eq!(
            resolve_target(Some("srv01"), None, &servers),
            Some(("srv01.corp.example".into(), TargetMatch::Name))
        );
        assert_eq!(
            resolve_target(Some("10.0.0.10:3389"), None, &servers),
            Some(("srv01.corp.example".into(), TargetMatch::Address))
        );
        assert_eq!(resolve_target(Some("other"), None, &servers), None);
        assert_eq!(
            resolve_target(Some("other"), None, &servers[1..]),
            Some(("srv02".into(), TargetMatch::OnlyServer))
        );
    }
}
