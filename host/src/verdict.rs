//! Verdicts: why a run ended, and the exit status that says so.

use std::fmt;

/// Exit status for bad usage or bad input (missing file, not a component, bad plan).
pub const EXIT_USAGE: i32 = 2;

/// What the harness concluded about a run that the guest did not end by itself.
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
    /// The guest said it succeeded, but the harness's peer did not receive every
    /// numbered datagram exactly once.
    Loss,
    /// The guest failed after an injected transient error without moving any data
    /// again: it treated a once-reported error as fatal, or left its socket unusable.
    UnusableAfterError,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 7] = [
        Verdict::SpecViolation,
        Verdict::Trap,
        Verdict::BusyLoop,
        Verdict::Hang,
        Verdict::TimeLimit,
        Verdict::Loss,
        Verdict::UnusableAfterError,
    ];

    /// The documented exit status of the `wouldblock` command for this verdict.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::SpecViolation | Verdict::Trap => 3,
            Verdict::BusyLoop => 4,
            Verdict::Hang => 5,
            Verdict::TimeLimit => 6,
            Verdict::Loss => 7,
            Verdict::UnusableAfterError => 8,
        }
    }

    /// A short name, e.g. `busy-loop`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::SpecViolation => "spec-violation",
            Verdict::Trap => "trap",
            Verdict::BusyLoop => "busy-loop",
            Verdict::Hang => "hang",
            Verdict::TimeLimit => "time-limit",
            Verdict::Loss => "loss",
            Verdict::UnusableAfterError => "unusable-after-error",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The harness stopped the guest. Raised from inside a host call as a trap, so the guest
/// cannot catch it, and recognised again when the run ends.
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
