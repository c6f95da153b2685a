//! Verdicts: why a run ended, and the exit status that says so. Every verdict is decided
//! in this module: [`during`] while the guest runs (from what the decorators report),
//! [`end`] when it has ended (from [`end::Facts`], plain data the harness hands it). A
//! leaf: it knows nothing of the run's state or the harness, and [`Exit`] lives here so
//! the verdicts can judge one.

pub(crate) mod during;
pub(crate) mod end;
mod exit;
mod stack;

pub use exit::{Ending, Exit};
pub(crate) use stack::stack_of;
pub use stack::{attribute, program_frames};

use std::fmt;

/// Verdicts exit with 80 + a small number: guests and test runners use 0, 1, 2, 64–78
/// (sysexits), 101 (a Rust panic) and 126–255 (shells, signals), so a status from 83 to 90
/// is the harness speaking, not the guest. `--summary-json` tells them apart for certain.
const VERDICT_BASE: i32 = 80;

/// What the harness concluded about a run that the guest did not end by itself.
///
/// ```
/// use wouldblock::Verdict;
/// assert_eq!(Verdict::Loss.to_string(), "loss");
/// assert_eq!(Verdict::Loss.exit_code(), 87);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// The guest broke a rule of the WIT that the host must trap on, e.g. `send` beyond
    /// the `check-send` permit.
    SpecViolation,
    /// The guest trapped (a panic, `unreachable`, out of memory, a host trap).
    Trap,
    /// The guest kept calling without progress and without blocking.
    BusyLoop,
    /// The guest blocked on pollables that the plan will never make ready.
    Hang,
    /// The wall-clock safety net ran out.
    TimeLimit,
    /// The guest exited 0, but a datagram an injected readiness answer refused (`ok(0)`,
    /// `would-block`, `check-send` 0) was never offered again: it took "not now" for
    /// "done". Found at the WIT boundary, with no peer needed.
    Dropped,
    /// The harness's own peer could not keep up: the kernel dropped datagrams on their way
    /// to it, so what is missing says nothing about the guest.
    PeerOverflow,
    /// The guest said it succeeded, but the harness's peer did not receive every
    /// numbered datagram exactly once.
    Loss,
    /// The guest failed after an injected transient error without moving any data
    /// again: it treated a once-reported error as fatal, or left its socket unusable.
    UnusableAfterError,
    /// Inconclusive: the guest waited, with no timer, on a real server (reached through
    /// the harness's relay) that stopped answering. The server's doing, not the guest's.
    ServerSilent,
}

impl Verdict {
    /// Every verdict.
    ///
    /// ```
    /// use wouldblock::Verdict;
    /// assert!(Verdict::ALL.iter().all(|v| (82..=90).contains(&v.exit_code())));
    /// ```
    pub const ALL: [Verdict; 10] = [
        Verdict::SpecViolation,
        Verdict::Trap,
        Verdict::BusyLoop,
        Verdict::Hang,
        Verdict::TimeLimit,
        Verdict::Loss,
        Verdict::UnusableAfterError,
        Verdict::Dropped,
        Verdict::PeerOverflow,
        Verdict::ServerSilent,
    ];

    /// The documented exit status of the `wouldblock` command for this verdict: 82 to 90,
    /// a range guests do not use.
    ///
    /// ```
    /// assert_eq!(wouldblock::Verdict::BusyLoop.exit_code(), 84);
    /// ```
    pub fn exit_code(self) -> i32 {
        VERDICT_BASE
            + match self {
                Verdict::SpecViolation | Verdict::Trap => 3,
                Verdict::BusyLoop => 4,
                Verdict::Hang => 5,
                Verdict::TimeLimit => 6,
                Verdict::Loss => 7,
                Verdict::UnusableAfterError => 8,
                Verdict::Dropped => 9,
                Verdict::PeerOverflow => 10,
                Verdict::ServerSilent => 2,
            }
    }

    /// A short name, e.g. `busy-loop`.
    ///
    /// ```
    /// assert_eq!(wouldblock::Verdict::UnusableAfterError.name(), "unusable-after-error");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Verdict::SpecViolation => "spec-violation",
            Verdict::Trap => "trap",
            Verdict::BusyLoop => "busy-loop",
            Verdict::Hang => "hang",
            Verdict::TimeLimit => "time-limit",
            Verdict::Loss => "loss",
            Verdict::UnusableAfterError => "unusable-after-error",
            Verdict::Dropped => "dropped",
            Verdict::PeerOverflow => "peer-overflow",
            Verdict::ServerSilent => "server-silent",
        }
    }
}

impl Verdict {
    /// Whether the verdict says nothing about the guest: the harness's own peer overflowed,
    /// or a real server stopped answering. Exploration counts such trials apart, never as
    /// findings.
    ///
    /// ```
    /// use wouldblock::Verdict;
    /// assert!(Verdict::ServerSilent.inconclusive() && !Verdict::Hang.inconclusive());
    /// ```
    pub fn inconclusive(self) -> bool {
        matches!(self, Verdict::PeerOverflow | Verdict::ServerSilent)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The harness stopped the guest. Raised from inside a host call as a trap, so the guest
/// cannot catch it, and recognised again when the run ends.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, Exit, Verdict};
/// let harness = Builder::new().fault("enobufs-writable")?.build()?;
/// let guest = harness.compile("udp-burst-spin", wouldblock_guests::UDP_BURST_SPIN.wasm)?;
/// let outcome = harness.run(&guest, &["{peer}", "--count", "16"])?;
/// let Exit::Stopped(stop) = &outcome.exit else { panic!("{:?}", outcome.exit) };
/// assert_eq!(stop.verdict, Verdict::BusyLoop);
/// assert!(!stop.evidence.is_empty(), "the trace lines that show it");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{verdict}: {reason}")]
pub struct Stop {
    /// The verdict.
    pub verdict: Verdict,
    /// What happened, in plain words.
    pub reason: String,
    /// The trace lines that show it.
    pub evidence: String,
}
