//! Fault sites and the faults tried at each: every socket call and socket wait of a
//! fault-free run, named by operation and per-resource call number, and the answers the
//! WIT allows there.

use crate::plan::{Action, Op, Readiness, Rule, Scope, Select};
use crate::resources::ResourceId;
use crate::trace::{Event, Trace};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Where a fault can be injected: the `nth` call (0-based) of `op` on a resource, counted
/// per resource as a plan's rules count (`per = "stream"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub(crate) struct Site {
    /// The operation.
    #[serde(serialize_with = "op_name")]
    pub op: Op,
    /// The call number on its resource, from 0.
    pub nth: u64,
}

fn op_name<S: serde::Serializer>(op: &Op, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(op.name())
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.op.is_pollable() {
            "wait"
        } else {
            "call"
        };
        write!(f, "{} {what} {}", self.op, self.nth + 1)
    }
}

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

    /// The plan of one rule that injects this fault at `site`.
    pub(crate) fn rule(&self, site: Site) -> Rule {
        Rule {
            name: format!("explore: {site}"),
            op: site.op,
            select: Select {
                after: site.nth,
                first: (!self.permanent && self.until_waits.is_none()).then_some(1),
                until_waits: self.until_waits,
                ..Select::default()
            },
            scope: Scope::Stream,
            action: self.action,
            ready: self.ready,
            connected: self.connected,
            eager: self.eager,
            sticky: self.sticky,
        }
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

/// What explore tries at a site of `op`, with each fault's trigger, reference and tier.
///
/// ```
/// use wouldblock::{Op, explore};
/// let first = &explore::menu(Op::UdpSend)[0];
/// assert_eq!(first.reference, "wasmtime#12612");
/// assert_eq!(first.tier, explore::Tier::Real);
/// ```
pub fn menu(op: Op) -> &'static [Tried] {
    op.explored()
}

/// The row of `op`'s menu that `fault` came from (a shrunk readiness count still matches).
pub(crate) fn source(op: Op, fault: &Fault) -> Option<&'static Tried> {
    let same_kind = |a: Readiness, b: Readiness| match (a, b) {
        (Readiness::NotReady(_), Readiness::NotReady(_)) => true,
        (a, b) => a == b,
    };
    menu(op).iter().find(|tried| {
        let row = &tried.fault;
        row.action == fault.action
            && same_kind(row.ready, fault.ready)
            && row.sticky == fault.sticky
            && row.permanent == fault.permanent
            && row.until_waits == fault.until_waits
            && row.connected == fault.connected
            && row.eager == fault.eager
    })
}

/// The sites of a fault-free run, in the order first seen, each once: a site is the
/// `nth` call of an operation on any one resource. Read from the events' typed fields
/// (their operation, target and waits), never from their text.
pub fn sites(trace: &Trace) -> Vec<Site> {
    let mut calls: BTreeMap<(Op, Option<u64>), u64> = BTreeMap::new();
    let mut seen = Vec::new();
    for event in trace.events() {
        for (op, serial) in ops_of(event) {
            let n = calls.entry((op, serial)).or_default();
            let site = Site { op, nth: *n };
            *n += 1;
            if !seen.contains(&site) && !op.explored().is_empty() {
                seen.push(site);
            }
        }
    }
    seen
}

/// The sites the guest reaches only right after a wait found the call's resource ready:
/// each resource's `nth` call of the operation came after a wake-up of that resource and
/// before any other call on it.
pub(crate) fn woken(trace: &Trace) -> BTreeSet<Site> {
    let mut calls: BTreeMap<(Op, Option<u64>), u64> = BTreeMap::new();
    let mut awake: BTreeSet<ResourceId> = BTreeSet::new();
    let mut eager: BTreeSet<Site> = BTreeSet::new();
    let mut woken: BTreeSet<Site> = BTreeSet::new();
    for event in trace.events() {
        if !event.waits.is_empty() {
            awake.extend(event.woke.iter().copied());
            continue;
        }
        let (Some(op), Some(target)) = (event.operation, event.target) else {
            continue;
        };
        let n = calls.entry((op, Some(target.serial))).or_default();
        let site = Site { op, nth: *n };
        *n += 1;
        if awake.remove(&target) {
            woken.insert(site);
        } else {
            eager.insert(site);
        }
    }
    woken.difference(&eager).copied().collect()
}

/// The plan operations one trace event stands for, with the resource each counts on: a
/// wait on several socket pollables is a wait on each.
fn ops_of(event: &Event) -> Vec<(Op, Option<u64>)> {
    if !event.waits.is_empty() {
        return event
            .waits
            .iter()
            .map(|id| (id.kind.wait_op(), Some(id.serial)))
            .collect();
    }
    let serial = event.target.map(|id| id.serial);
    event.operation.map(|op| (op, serial)).into_iter().collect()
}
