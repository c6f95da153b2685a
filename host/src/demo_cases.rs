//! The demo's cases as data: each preset with the bundled programs that show it, and
//! what each must give on every run. The demo prints it, the tests below check that every
//! preset is in it. Part of the binary, not the library: it needs the bundled guests.

use wouldblock::{Harness, Outcome, PeerOptions, Plan, PlanError, TcpClientOptions, Verdict};
use wouldblock_guests::{
    BundledGuest, HTTP_ECHO_CLIENT, HTTP_ECHO_CLIENT_NAIVE, HTTP_ECHO_SERVER,
    HTTP_ECHO_SERVER_NAIVE, TCP_C_SERVER, TCP_C_SERVER_NAIVE, TCP_C_SERVER_PATIENCE,
    TCP_DNS_CLIENT, TCP_DNS_CLIENT_NAIVE, TCP_ECHO_CLIENT, TCP_ECHO_CLIENT_NAIVE, TCP_ECHO_SERVER,
    TCP_ECHO_SERVER_NAIVE, UDP_BURST, UDP_BURST_DROP, UDP_BURST_SPIN, UDP_BURST_WAIT, UDP_C_BURST,
    UDP_C_BURST_DROP, UDP_REQUEST, UDP_REQUEST_NAIVE,
};

/// What one cell of the catalogue must give on every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The guest exits 0.
    Pass,
    /// The harness gives this verdict.
    Verdict(Verdict),
    /// The guest exits non-zero by itself, cleanly: no verdict, no panic, no hang.
    Fail,
}

impl Expect {
    /// Whether a run gave what was expected.
    pub fn holds(self, outcome: &Outcome) -> bool {
        match self {
            Expect::Pass => outcome.passed(),
            Expect::Verdict(verdict) => outcome.verdict() == Some(verdict),
            Expect::Fail => {
                outcome.verdict().is_none() && outcome.guest_status.is_some_and(|s| s != 0)
            }
        }
    }

    /// `pass`, or the verdict's name.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Pass => "pass",
            Expect::Verdict(verdict) => verdict.name(),
            Expect::Fail => "guest fails",
        }
    }
}

/// One cell: a `--fault` spec, a bundled program, and what it must give.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// The fault spec, e.g. `icmp-refused:sticky=true`.
    pub spec: &'static str,
    /// The program.
    pub guest: &'static BundledGuest,
    /// What every run must give.
    pub expect: Expect,
}

/// The sizes the catalogue's TCP programs send: one tiny message and one of a KiB.
const TCP_SIZES: &[usize] = &[1, 1024];

/// Whether `name` is a TCP server (Rust `tcp-echo-server*`, C `tcp-c-server*`).
fn tcp_server(name: &str) -> bool {
    name.starts_with("tcp-echo-server") || name.starts_with("tcp-c-server")
}

impl Cell {
    /// The harness for this cell: `base` with the cell's plan and the peer its program
    /// needs. Burst programs send 16 datagrams to a counting peer (loss is judged);
    /// request programs talk to an echo peer; TCP clients to the echo server
    /// (`{tcp-echo}`, by the name `localhost` for the lookup clients); TCP servers are
    /// driven by the harness's client; HTTP clients post to `{http-echo}`; HTTP servers are
    /// served by the harness's HTTP client.
    pub fn harness(&self, base: &Harness) -> Result<Harness, PlanError> {
        let harness = base.with_plan(Plan::new().with_spec(self.spec)?);
        let name = self.guest.name;
        Ok(if name.starts_with("udp-request") {
            harness.with_peer(PeerOptions::echo())
        } else if tcp_server(name) {
            harness.with_tcp_client(TcpClientOptions::new(TCP_SIZES.to_vec()))
        } else if name.starts_with("http-echo-server") {
            harness.with_http_client(TCP_SIZES.to_vec())
        } else if name.starts_with("tcp-") || name.starts_with("http-") {
            harness
        } else {
            harness.with_peer(PeerOptions::counting().expect_datagrams(16))
        })
    }

    /// The program's arguments.
    pub fn args(&self) -> &'static [&'static str] {
        let name = self.guest.name;
        if tcp_server(name) {
            &["127.0.0.1:0"]
        } else if name.starts_with("http-echo-server") {
            &[]
        } else if name.starts_with("tcp-dns") {
            &["{tcp-echo}", "--name", "localhost", "--sizes", "1,1024"]
        } else if name.starts_with("tcp-") {
            &["{tcp-echo}", "--sizes", "1,1024"]
        } else if name.starts_with("http-") {
            &["{http-echo}", "--sizes", "1,1024"]
        } else {
            &["{peer}", "--count", "16"]
        }
    }
}

const fn cell(spec: &'static str, guest: &'static BundledGuest, expect: Expect) -> Cell {
    Cell {
        spec,
        guest,
        expect,
    }
}

const fn verdict(verdict: Verdict) -> Expect {
    Expect::Verdict(verdict)
}

/// Every preset but first-send (which has a table of its own: every form and N) with the
/// correct program and the naive ones, the C programs after the Rust ones.
pub const CATALOGUE: &[Cell] = &[
    cell("enobufs-backpressure", &UDP_BURST, Expect::Pass),
    cell(
        "enobufs-backpressure",
        &UDP_BURST_DROP,
        verdict(Verdict::Loss),
    ),
    cell("enobufs-backpressure", &UDP_C_BURST, Expect::Pass),
    cell(
        "enobufs-backpressure",
        &UDP_C_BURST_DROP,
        verdict(Verdict::Loss),
    ),
    cell("enobufs-no-wakeup", &UDP_BURST, Expect::Pass),
    cell("enobufs-no-wakeup", &UDP_BURST_WAIT, verdict(Verdict::Hang)),
    cell("enobufs-no-wakeup", &UDP_C_BURST, Expect::Pass),
    cell("enobufs-writable", &UDP_BURST, Expect::Pass),
    cell(
        "enobufs-writable",
        &UDP_BURST_SPIN,
        verdict(Verdict::BusyLoop),
    ),
    cell(
        "enobufs-writable",
        &UDP_BURST_WAIT,
        verdict(Verdict::BusyLoop),
    ),
    cell("enobufs-writable", &UDP_C_BURST, Expect::Pass),
    cell("icmp-refused", &UDP_REQUEST, Expect::Pass),
    cell("icmp-refused:sticky=true", &UDP_REQUEST, Expect::Pass),
    cell(
        "icmp-refused",
        &UDP_REQUEST_NAIVE,
        verdict(Verdict::UnusableAfterError),
    ),
    cell("errqueue-stuck", &UDP_REQUEST, Expect::Pass),
    cell(
        "errqueue-stuck",
        &UDP_REQUEST_NAIVE,
        verdict(Verdict::BusyLoop),
    ),
    cell("tcp-slow-peer", &TCP_ECHO_SERVER, Expect::Pass),
    cell(
        "tcp-slow-peer",
        &TCP_ECHO_SERVER_NAIVE,
        verdict(Verdict::Loss),
    ),
    cell("tcp-slow-peer", &TCP_ECHO_CLIENT, Expect::Pass),
    cell("tcp-slow-peer", &TCP_ECHO_CLIENT_NAIVE, Expect::Fail),
    cell("tcp-slow-peer", &TCP_C_SERVER, Expect::Pass),
    cell("tcp-slow-peer", &TCP_C_SERVER_NAIVE, verdict(Verdict::Loss)),
    cell(
        "tcp-slow-peer",
        &TCP_C_SERVER_PATIENCE,
        verdict(Verdict::Loss),
    ),
    cell("tcp-backpressure", &TCP_ECHO_SERVER, Expect::Pass),
    cell("tcp-backpressure", &TCP_ECHO_CLIENT, Expect::Pass),
    cell("tcp-backpressure", &TCP_C_SERVER, Expect::Pass),
    cell("tcp-connect-pending", &TCP_ECHO_CLIENT, Expect::Pass),
    cell("tcp-reset", &TCP_ECHO_SERVER, Expect::Fail),
    cell("tcp-reset", &TCP_ECHO_CLIENT, Expect::Fail),
    cell("tcp-reset", &TCP_C_SERVER, Expect::Fail),
    cell("dns-slow", &TCP_DNS_CLIENT, Expect::Pass),
    cell("dns-slow", &TCP_DNS_CLIENT_NAIVE, Expect::Fail),
    cell("http-slow-response", &HTTP_ECHO_CLIENT, Expect::Pass),
    cell("http-slow-body", &HTTP_ECHO_CLIENT, Expect::Pass),
    cell("http-slow-body", &HTTP_ECHO_CLIENT_NAIVE, Expect::Fail),
    cell("http-slow-body", &HTTP_ECHO_SERVER, Expect::Pass),
    cell(
        "http-slow-body",
        &HTTP_ECHO_SERVER_NAIVE,
        verdict(Verdict::Loss),
    ),
    cell("http-body-backpressure", &HTTP_ECHO_CLIENT, Expect::Pass),
    cell("http-body-backpressure", &HTTP_ECHO_SERVER, Expect::Pass),
    cell("http-reset-mid-body", &HTTP_ECHO_CLIENT, Expect::Fail),
];

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::{Result, ensure};
    use std::collections::BTreeSet;
    use wouldblock::plan::PRESETS;

    /// The preset that has the demo's first table (every form, N from 1 to 3).
    const FIRST_SEND: &str = "first-send";

    /// The presets the demo shows: first-send and every preset in [`CATALOGUE`].
    fn presets_shown() -> BTreeSet<&'static str> {
        CATALOGUE
            .iter()
            .map(|cell| cell.spec.split(':').next().unwrap_or(cell.spec))
            .chain([FIRST_SEND])
            .collect()
    }

    #[test]
    fn every_c_program_is_in_the_demo_catalogue() -> Result<()> {
        let mut missing = Vec::new();
        macro_rules! check {
            ($module:ident) => {
                let name = stringify!($module).replace('_', "-");
                if !CATALOGUE.iter().any(|cell| cell.guest.name == name) {
                    missing.push(name);
                }
            };
        }
        wouldblock_guests::foreach_c!(check);
        ensure!(
            missing.is_empty(),
            "not in demo_cases::CATALOGUE: {missing:?}"
        );
        Ok(())
    }

    #[test]
    fn every_preset_is_in_the_demo_catalogue() -> Result<()> {
        let shown = presets_shown();
        for preset in PRESETS {
            ensure!(
                shown.contains(preset.name),
                "preset {} is missing from demo_cases::CATALOGUE (the demo)",
                preset.name
            );
        }
        Ok(())
    }
}
