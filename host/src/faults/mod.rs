//! The faults of one run: the plan put to work, and the one place a call or a wait is
//! decided. One job a file: the [`decision`] of a call and the decision of a wait
//! ([`waits`]), the [`registry`] of resources and pollables, the [`rules`] that select
//! calls, the readiness [`gates`], the send [`permits`], the [`drops`] ledger and the
//! busy-loop [`detector`]. Every decision is a pure function of the calls the guest has
//! made so far; none reads a clock.

mod decision;
mod detector;
mod drops;
mod gates;
mod permits;
pub(crate) mod registry;
mod rules;
mod waits;

pub(crate) use decision::Choice;
pub(crate) use drops::Refusal;
pub(crate) use registry::{Class, Res};
pub(crate) use rules::Injection;
pub(crate) use waits::{Then, WaitDecision};

use crate::plan::{Plan, Readiness};
use detector::Detector;
use drops::Drops;
use gates::Gates;
use gates::{Gate, Hold};
use permits::Permits;
use registry::Registry;
use rules::Rules;

/// The fault state of one run.
pub(crate) struct Faults {
    pub(crate) registry: Registry,
    rules: Rules,
    gates: Gates,
    permits: Permits,
    pub(crate) detector: Detector,
    pub(crate) drops: Drops,
    /// Sockets a guest may have open at once.
    pub(crate) max_sockets: u64,
    /// Resources a wait found ready whose next call has not come yet: that call comes
    /// right after the wake-up (an `eager` rule lets it through).
    woken: std::collections::BTreeSet<u64>,
    /// Streams an injected reset or early end finished, by serial, with that answer: as
    /// on a real host, nothing comes out of them again.
    finished: std::collections::BTreeMap<u64, Choice>,
}

impl Faults {
    pub(crate) fn new(plan: &Plan, busy_threshold: u64, max_sockets: u64) -> Self {
        Self {
            registry: Registry::default(),
            rules: Rules::new(&plan.rules),
            gates: Gates::default(),
            permits: Permits::default(),
            detector: Detector::new(busy_threshold),
            drops: Drops::default(),
            max_sockets,
            woken: std::collections::BTreeSet::new(),
            finished: std::collections::BTreeMap::new(),
        }
    }

    /// Stops following a dropped resource; returns its serial.
    pub(crate) fn forget(&mut self, rep: u32) -> Option<u64> {
        let serial = self.registry.forget(rep)?;
        self.gates.open(serial);
        self.finished.remove(&serial);
        self.permits.forget(serial);
        Some(serial)
    }

    /// A wait found these resources ready: the next call on each comes right after the
    /// wake-up.
    pub(crate) fn woke(&mut self, resources: &[crate::resources::ResourceId]) {
        self.woken.extend(resources.iter().map(|id| id.serial));
    }

    /// Sets what the pollables of resource `rep` report after an injected answer, and the
    /// not-ready answer that stands with them until the guest has waited.
    fn arm(&mut self, rep: u32, ready: Readiness, hold: Option<Hold>) {
        if let Some(serial) = self.registry.serial(rep) {
            self.gates.arm(serial, ready, hold);
        }
    }

    /// The not-ready answer standing on resource `rep`, if its gate is still closed.
    fn hold(&self, rep: u32) -> Option<&Hold> {
        self.gates.hold(self.registry.serial(rep)?)
    }

    /// A real call on `rep` moved data: readiness is real again and the guest is not
    /// spinning.
    pub(crate) fn progress(&mut self, rep: u32) {
        if let Some(serial) = self.registry.serial(rep) {
            self.gates.moved(serial);
        }
        self.detector.progress();
    }

    /// The guest was woken by a clock: it backed off, and not-ready answers end.
    pub(crate) fn timer_wake(&mut self) {
        self.detector.timer_wake();
        self.gates.release_holds();
    }

    /// The injected error the guest never recovered from, if any.
    pub(crate) fn pending_error(&self) -> Option<&str> {
        self.detector.pending_error()
    }

    /// Records the permit a check answered on `rep`.
    pub(crate) fn grant(&mut self, rep: u32, permit: u64) {
        if let Some(serial) = self.registry.serial(rep) {
            self.permits.grant(serial, permit);
        }
    }

    /// Spends `amount` of the permit of `rep`; `Err` carries what was permitted.
    pub(crate) fn spend(&mut self, rep: u32, amount: u64) -> Result<(), u64> {
        match self.registry.get(rep) {
            Some(res) => self.permits.spend(res.serial, amount, res.kind.unit()),
            None => Err(0),
        }
    }

    /// The gate on a pollable, if any.
    fn gate(&self, pollable: u32) -> Option<Gate> {
        self.gates.get(self.registry.socket_of(pollable)?)
    }

    /// Whether the pollables of resource `rep` are held not ready (a count left, or never).
    pub(crate) fn closed(&self, rep: u32) -> bool {
        let gate = self.registry.serial(rep).and_then(|s| self.gates.get(s));
        matches!(gate, Some(Gate::Ticks(_) | Gate::Never))
    }

    /// Uses up `ticks` readiness checks on a pollable's gate.
    fn tick(&mut self, pollable: u32, ticks: u32) {
        if let Some(serial) = self.registry.socket_of(pollable) {
            self.gates.tick(serial, ticks);
        }
    }
}
