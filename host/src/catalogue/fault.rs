//! The faults the catalogue's rows offer: a [`Fault`] (an answer and the readiness after
//! it), its [`Tier`] (does a real host give it?) and a [`Tried`] row with the real condition,
//! where it was seen, the WIT clause and what a correct program does.

use super::answer::{Action, Readiness};
use std::fmt;

/// One fault tried at a site: an answer and the readiness after it.
///
/// ```
/// use wouldblock::{Op, explore};
/// let fault = explore::menu(Op::UdpCheckSend)[0].fault;
/// assert_eq!(fault.to_string(), "ok-zero, then not-ready 1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The answer (`pass` on a wait).
    pub action: Action,
    /// The pollable afterwards.
    pub ready: Readiness,
    /// Reported twice (`sticky`).
    pub sticky: bool,
    /// Every call from the site on, not one: a permanent condition.
    pub permanent: bool,
    /// Every call from the site on until the guest has been woken by a timer this many
    /// times: a condition that lasts until the guest backs off.
    pub until_waits: Option<u64>,
    /// Only on a connected socket's streams: an ICMP error reaches only a socket that
    /// named its peer (Linux reports none to an unconnected one without IP_RECVERR).
    pub connected: bool,
    /// Only before the resource's pollable woke the guest: a "still pending" answer no
    /// host gives right after the wake-up.
    pub eager: bool,
}

impl Fault {
    /// Whether no program can be expected to survive it: an error that never ends, a
    /// connection reset. What it shows is a robustness note (does the program end cleanly
    /// under it?), not a readiness bug. (A wake-up that never comes is survivable: a guest
    /// that also waits on a clock gets out.)
    pub(crate) fn is_robustness(&self) -> bool {
        self.permanent || self.action == Action::Reset
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.action == Action::Pass {
            write!(f, "{}", self.ready)?;
        } else {
            write!(f, "{}, then {}", self.action, self.ready)?;
        }
        if self.sticky {
            f.write_str(", sticky")?;
        }
        if self.permanent {
            f.write_str(", every call from here on")?;
        }
        if let Some(w) = self.until_waits {
            write!(f, ", every call until the guest backs off {w} time(s)")?;
        }
        Ok(())
    }
}

/// Whether a real host gives a fault's answer.
///
/// ```
/// use wouldblock::{Op, explore::{self, Tier}};
/// assert_eq!(explore::menu(Op::UdpSend)[0].tier, Tier::Real);
/// assert_eq!(serde_json::to_string(&Tier::HostBug).unwrap(), r#""host-bug""#);
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Observed in a real host or OS (the table row says where).
    Real,
    /// The WIT forbids it, or no real host is known to do it: a program that does not
    /// survive it is not wrong, only not robust against a buggy host.
    HostBug,
}

/// One fault explore tries, with what makes a real host answer so and where it was seen:
/// a row of its operation's interface table.
///
/// ```
/// use wouldblock::{Op, explore};
/// let refused = explore::menu(Op::UdpReceive).iter().find(|t| t.reference == "bun#29473");
/// assert!(refused.is_some_and(|tried| tried.correct.contains("keeps the socket")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tried {
    /// The fault.
    pub fault: Fault,
    /// Whether a real host gives this answer, or only a buggy one.
    pub tier: Tier,
    /// The real condition that makes a host answer this way.
    pub trigger: &'static str,
    /// Where it was observed (an issue, a man page, a WIT clause).
    pub reference: &'static str,
    /// The WIT clause that allows the answer.
    pub wit: &'static str,
    /// What a correct program does when it gets it.
    pub correct: &'static str,
    /// Real only for a call the guest makes before its resource's pollable has woken it
    /// (a connect still pending, a permit of 0): right after the wake-up the host has
    /// finished, so explore does not try it at a site the guest only reaches woken.
    pub eager_only: bool,
}
