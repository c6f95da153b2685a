//! Readiness gates: what a socket's pollables report instead of the real readiness after
//! an injected answer, counted in checks, never timed. A gate armed by a not-ready answer
//! also holds that answer: until the guest waits (the gate reports ready, or a timer wakes
//! the guest), every call on the resource is not ready either, so the pollable and the
//! calls never disagree and a guest that retries without waiting never gets out.

use crate::plan::{Action, Op, Readiness};
use std::collections::BTreeMap;

/// A not-ready answer that stands until the guest waits: what the rule answered, and on
/// which operation.
#[derive(Debug, Clone)]
pub(crate) struct Hold {
    /// The rule's position in the plan.
    pub(crate) index: usize,
    pub(crate) rule: String,
    pub(crate) op: Op,
    pub(crate) action: Action,
    /// Armed by a call that moved data itself (a short read): that call's own progress
    /// leaves the gate closed; the rest is not there until the guest waits.
    pub(crate) short: bool,
}

impl Hold {
    /// What a call of `op` answers while the hold stands: the rule's own answer on its own
    /// operation (`ok(0)` or `would-block` for `send`), the not-ready `ok-zero` form on the
    /// others (`check-send` 0, an empty `receive`).
    pub(crate) fn answer(&self, op: Op) -> Action {
        if op == self.op {
            self.action
        } else {
            Action::OkZero
        }
    }
}

/// What a socket pollable reports instead of the real readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Not ready for this many more checks.
    Ticks(u32),
    /// Not ready until a real call makes progress.
    Never,
    /// Ready at once.
    Spurious,
    /// Ready for one check, then open.
    SpuriousOnce,
}

/// Gates and holds per resource serial.
#[derive(Default)]
pub(crate) struct Gates {
    gates: BTreeMap<u64, Gate>,
    holds: BTreeMap<u64, Hold>,
}

impl Gate {
    /// Whether the gate says ready whatever the real pollable says.
    pub(crate) fn is_spurious(self) -> bool {
        matches!(self, Gate::Spurious | Gate::SpuriousOnce)
    }
}

impl Gates {
    /// Sets the gate after an injected answer; `hold` is the answer if it said "not
    /// ready", which stands while a `not-ready K` or `never` gate is closed.
    pub(crate) fn arm(&mut self, serial: u64, ready: Readiness, hold: Option<Hold>) {
        let gate = match ready {
            Readiness::Real | Readiness::NotReady(0) => None,
            Readiness::NotReady(k) => Some(Gate::Ticks(k)),
            Readiness::Never => Some(Gate::Never),
            Readiness::Spurious => Some(Gate::Spurious),
            Readiness::SpuriousOnce => Some(Gate::SpuriousOnce),
        };
        self.open(serial);
        if let Some(gate) = gate {
            self.gates.insert(serial, gate);
            if let (Some(hold), Gate::Ticks(_) | Gate::Never) = (hold, gate) {
                self.holds.insert(serial, hold);
            }
        }
    }

    /// Hands readiness back to the real pollable.
    pub(crate) fn open(&mut self, serial: u64) {
        self.gates.remove(&serial);
        self.holds.remove(&serial);
    }

    /// The guest was woken by a timer: time passed with the host's event loop running, so
    /// every standing not-ready answer ends (a never-ready pollable stays silent; only the
    /// calls are real again, as after a missed wake-up).
    pub(crate) fn release_holds(&mut self) {
        self.holds.clear();
    }

    /// The not-ready answer standing on a resource, if any.
    pub(crate) fn hold(&self, serial: u64) -> Option<&Hold> {
        self.holds.get(&serial)
    }

    /// Data moved on `serial`: the gate opens, unless the move is the short read that
    /// armed it (once).
    pub(crate) fn moved(&mut self, serial: u64) {
        match self.holds.get_mut(&serial) {
            Some(hold) if hold.short => hold.short = false,
            _ => self.open(serial),
        }
    }

    /// The gate on a resource, if any.
    pub(crate) fn get(&self, serial: u64) -> Option<Gate> {
        self.gates.get(&serial).copied()
    }

    /// Uses up `ticks` readiness checks; an exhausted gate hands over to the real pollable.
    pub(crate) fn tick(&mut self, serial: u64, ticks: u32) {
        match self.gates.get_mut(&serial) {
            Some(Gate::Ticks(left)) => {
                *left = left.saturating_sub(ticks);
                if *left == 0 {
                    self.open(serial);
                }
            }
            Some(Gate::SpuriousOnce) if ticks > 0 => self.open(serial),
            _ => {}
        }
    }
}
