//! The fault catalogue as data: each preset with the bundled programs that show it, and
//! what each must give on every run. The demo prints it, the tests check that every
//! preset is in it.

use crate::guests::{
    BundledGuest, UDP_BURST, UDP_BURST_DROP, UDP_BURST_SPIN, UDP_BURST_WAIT, UDP_REQUEST,
    UDP_REQUEST_NAIVE,
};
use crate::{Outcome, Verdict};
use std::collections::BTreeSet;

/// What one cell of the catalogue must give on every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The guest exits 0.
    Pass,
    /// The harness gives this verdict.
    Verdict(Verdict),
}

impl Expect {
    /// Whether a run gave what was expected.
    pub fn holds(self, outcome: &Outcome) -> bool {
        match self {
            Expect::Pass => outcome.passed(),
            Expect::Verdict(verdict) => outcome.verdict() == Some(verdict),
        }
    }

    /// `pass`, or the verdict's name.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Pass => "pass",
            Expect::Verdict(verdict) => verdict.name(),
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

impl Cell {
    /// Whether the program talks to an echo peer (request/response) rather than sending
    /// numbered datagrams to a counting one.
    pub fn wants_echo(&self) -> bool {
        self.guest.name.starts_with("udp-request")
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
/// correct program and the naive ones.
pub const CATALOGUE: &[Cell] = &[
    cell("enobufs-backpressure", &UDP_BURST, Expect::Pass),
    cell(
        "enobufs-backpressure",
        &UDP_BURST_DROP,
        verdict(Verdict::Loss),
    ),
    cell("enobufs-no-wakeup", &UDP_BURST, Expect::Pass),
    cell("enobufs-no-wakeup", &UDP_BURST_WAIT, verdict(Verdict::Hang)),
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
];

/// The preset that has the demo's first table (every form, N from 1 to 3).
pub const FIRST_SEND: &str = "first-send";

/// The presets the demo shows: first-send and every preset in [`CATALOGUE`].
pub fn presets_shown() -> BTreeSet<&'static str> {
    CATALOGUE
        .iter()
        .map(|cell| cell.spec.split(':').next().unwrap_or(cell.spec))
        .chain([FIRST_SEND])
        .collect()
}
