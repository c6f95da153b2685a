//! How a run ended, as an [`Exit`] (with the words) and an [`Ending`] (without): the
//! guest's own status, its abort, or a [`Stop`] the harness gave it. Here, below the
//! harness, so the verdicts judge and return exits without reaching up.

use super::{Stop, Verdict};
use std::fmt;

/// How a run ended.
///
/// ```
/// use wouldblock::{Exit, Stop, Verdict};
/// let stopped = Exit::Stopped(Stop {
///     verdict: Verdict::Hang,
///     reason: "blocked on incoming#1, which the plan never makes ready".into(),
///     evidence: String::new(),
/// });
/// assert_eq!(stopped.guest_status(), None);
/// assert_eq!(Exit::Code(0).guest_status(), Some(0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// The guest returned or called `exit` with this status.
    Code(i32),
    /// The guest aborted: a Rust panic (status 101, as native libtest reports it) or
    /// another abort (134, as SIGABRT), with what it said last.
    Abort {
        /// The status native code would have exited with.
        status: i32,
        /// `panic` or `abort`.
        kind: &'static str,
        /// The panic message, or the abort's last words on stderr.
        message: String,
    },
    /// The harness stopped it, or it trapped.
    Stopped(Stop),
}

/// How a run ended, without the words: what `--repeat` counts, what an exploration groups
/// its findings by, and what two runs compare equal on.
///
/// ```
/// use wouldblock::{Ending, Verdict};
/// assert_eq!(Ending::Pass.to_string(), "pass");
/// assert_eq!(Ending::Fail(1).to_string(), "fail (exit 1)");
/// assert_eq!(Ending::Abort { kind: "panic", status: 101 }.to_string(), "panic (exit 101)");
/// assert_eq!(Ending::Verdict(Verdict::BusyLoop).to_string(), "busy-loop");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Ending {
    /// The guest exited 0.
    Pass,
    /// The guest exited with this status, not 0.
    Fail(i32),
    /// The guest aborted.
    Abort {
        /// `panic` or `abort`.
        kind: &'static str,
        /// The status native code would have exited with (101, 134).
        status: i32,
    },
    /// The harness stopped it, or it trapped.
    Verdict(Verdict),
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Pass => f.write_str("pass"),
            Ending::Fail(code) => write!(f, "fail (exit {code})"),
            Ending::Abort { kind, status } => write!(f, "{kind} (exit {status})"),
            Ending::Verdict(verdict) => write!(f, "{verdict}"),
        }
    }
}

impl Exit {
    /// The status the guest ended with by itself (an exit or an abort), if it did.
    ///
    /// ```
    /// use wouldblock::Exit;
    /// assert_eq!(Exit::Code(3).guest_status(), Some(3));
    /// ```
    pub fn guest_status(&self) -> Option<i32> {
        match self {
            Exit::Code(code) => Some(*code),
            Exit::Abort { status, .. } => Some(*status),
            Exit::Stopped(_) => None,
        }
    }

    /// How it ended, without the words.
    ///
    /// ```
    /// use wouldblock::{Ending, Exit};
    /// assert_eq!(Exit::Code(0).ending(), Ending::Pass);
    /// assert_eq!(Exit::Code(2).ending(), Ending::Fail(2));
    /// ```
    pub fn ending(&self) -> Ending {
        match self {
            Exit::Code(0) => Ending::Pass,
            Exit::Code(code) => Ending::Fail(*code),
            Exit::Abort { kind, status, .. } => Ending::Abort {
                kind,
                status: *status,
            },
            Exit::Stopped(stop) => Ending::Verdict(stop.verdict),
        }
    }
}
