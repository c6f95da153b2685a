//! How the guest's host names resolve. No query leaves the machine unless the network
//! policy reaches beyond loopback: an IP address is itself, `localhost` is the loopback
//! addresses, a name in the hosts file has its addresses there, and any other name is
//! `name-unresolvable`, as an offline resolver answers. Read once per harness, so every
//! run of it sees the same answers.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// The hosts file the names come from.
const HOSTS_FILE: &str = "/etc/hosts";

/// The harness's resolver.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// The hosts file: each name (lower case) with its addresses, in file order.
    hosts: BTreeMap<String, Vec<IpAddr>>,
    /// Whether the names nobody here knows go to the machine's resolver.
    system: bool,
}

/// How a name is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Invalid as a name or an address: `resolve-addresses` fails at once.
    Invalid,
    /// These addresses, or this error, known now without asking anyone.
    Known(Result<Vec<IpAddr>, ErrorCode>),
    /// The machine's resolver (wasmtime-wasi's lookup), which may send a query.
    System,
}

impl Names {
    /// The names of `hosts` (a hosts file's text); `system` sends the others to the
    /// machine's resolver.
    pub(crate) fn new(hosts: &str, system: bool) -> Self {
        Self {
            hosts: parse_hosts(hosts),
            system,
        }
    }

    /// This machine's hosts file (none if it cannot be read).
    pub(crate) fn from_machine(system: bool) -> Self {
        Self::new(
            &std::fs::read_to_string(HOSTS_FILE).unwrap_or_default(),
            system,
        )
    }

    /// The answer to a lookup of `name`, validated as wasmtime-wasi validates it (a
    /// domain name, an IP address, or an IPv6 address in brackets or not).
    pub(crate) fn answer(&self, name: &str) -> Answer {
        let domain = match url::Host::parse(name) {
            Ok(url::Host::Domain(domain)) => domain,
            Ok(url::Host::Ipv4(ip)) => return Answer::Known(Ok(vec![IpAddr::V4(ip)])),
            Ok(url::Host::Ipv6(ip)) => return Answer::Known(Ok(vec![IpAddr::V6(ip)])),
            Err(_) => match Ipv6Addr::from_str(name) {
                Ok(ip) => return Answer::Known(Ok(vec![IpAddr::V6(ip)])),
                Err(_) => return Answer::Invalid,
            },
        };
        let domain = domain.strip_suffix('.').unwrap_or(&domain);
        // RFC 6761 6.3: `localhost` and the names under it are the loopback addresses.
        if domain == "localhost" || domain.ends_with(".localhost") {
            let loopback = vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ];
            return Answer::Known(Ok(loopback));
        }
        if let Some(addresses) = self.hosts.get(domain) {
            return Answer::Known(Ok(addresses.clone()));
        }
        if self.system {
            return Answer::System;
        }
        Answer::Known(Err(ErrorCode::NameUnresolvable))
    }
}

/// A hosts file: `ADDRESS NAME [ALIAS...]` a line, `#` to the end of a line a comment.
fn parse_hosts(text: &str) -> BTreeMap<String, Vec<IpAddr>> {
    let mut hosts: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(Ok(ip)) = words.next().map(IpAddr::from_str) else {
            continue;
        };
        // WIT: "This function never returns IPv4-mapped IPv6 addresses."
        let ip = ip.to_canonical();
        for name in words {
            let addresses = hosts.entry(name.to_ascii_lowercase()).or_default();
            if !addresses.contains(&ip) {
                addresses.push(ip);
            }
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: &str = "127.0.0.1 localhost\n::1 localhost ip6-localhost # loopback\n\
                         # a comment\n10.1.2.3 build-box Build.Local\n::ffff:10.1.2.4 build-box\n\
                         not-an-address name\n";

    fn known(names: &Names, name: &str) -> Vec<String> {
        match names.answer(name) {
            Answer::Known(Ok(addresses)) => addresses.iter().map(IpAddr::to_string).collect(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn localhost_is_both_loopback_addresses_ipv4_first() {
        let names = Names::new("", false);
        for name in ["localhost", "LOCALHOST", "localhost.", "app.localhost"] {
            assert_eq!(known(&names, name), ["127.0.0.1", "::1"], "{name}");
        }
    }

    #[test]
    fn hosts_file_names_resolve_in_file_order_and_others_are_unresolvable() {
        let names = Names::new(HOSTS, false);
        assert_eq!(known(&names, "build-box"), ["10.1.2.3", "10.1.2.4"]);
        assert_eq!(known(&names, "build.local"), ["10.1.2.3"]);
        assert_eq!(known(&names, "ip6-localhost"), ["::1"]);
        assert_eq!(
            names.answer("example.com"),
            Answer::Known(Err(ErrorCode::NameUnresolvable))
        );
        assert_eq!(
            Names::new(HOSTS, true).answer("example.com"),
            Answer::System
        );
        assert_eq!(known(&Names::new(HOSTS, true), "build-box").len(), 2);
    }

    /// The literals and the invalid names of wasmtime's own name-lookup test program,
    /// answered as wasmtime-wasi answers them.
    #[test]
    fn addresses_are_themselves_and_invalid_names_are_refused() {
        let names = Names::new("", false);
        for (name, ip) in [
            ("0.0.0.0", "0.0.0.0"),
            ("192.0.2.0", "192.0.2.0"),
            ("::", "::"),
            ("[::]", "::"),
            ("::1", "::1"),
            ("DEAD:BEEF::0", "dead:beef::"),
        ] {
            assert_eq!(known(&names, name), [ip], "{name}");
        }
        for name in [
            "",
            " ",
            "a.b<&>",
            "127.0.0.1:80",
            "[::]:80",
            "http://example.com/",
        ] {
            assert_eq!(names.answer(name), Answer::Invalid, "{name:?}");
        }
    }
}
