//! Fault sites and the faults tried at each: every socket call and socket wait of a
//! fault-free run, named by operation and per-resource call number, and the answers the
//! WIT allows there.

use crate::catalogue::{Fault, Tried};
use crate::plan::{Op, Readiness, Rule, Scope, Select};
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

/// The plan of one rule that injects `fault` at `site`.
pub(crate) fn rule_at(fault: &Fault, site: Site) -> Rule {
    Rule {
        name: format!("explore: {site}"),
        op: site.op,
        select: Select {
            after: site.nth,
            first: (!fault.permanent && fault.until_waits.is_none()).then_some(1),
            until_waits: fault.until_waits,
            ..Select::default()
        },
        scope: Scope::Stream,
        action: fault.action,
        ready: fault.ready,
        connected: fault.connected,
        eager: fault.eager,
        sticky: fault.sticky,
    }
}
