//! The faults of one run: the plan put to work. One job a file: the [`registry`] of
//! resources and pollables, the [`rules`] that decide calls, the readiness [`gates`], the
//! send [`permits`], the [`drops`] ledger and the busy-loop [`detector`]. Every decision
//! is a pure function of the calls the guest has made so far; none reads a clock.

mod detector;
mod drops;
mod gates;
mod permits;
pub(crate) mod registry;
mod rules;

pub(crate) use drops::Refusal;
pub(crate) use gates::{Gate, Hold};
pub(crate) use registry::Class;
pub(crate) use rules::Injection;

use crate::plan::{Plan, Readiness};
use detector::Detector;
use drops::Drops;
use gates::Gates;
use permits::Permits;
use registry::Registry;
use rules::{Call, Rules};

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
        }
    }

    /// Stops following a dropped resource; returns its serial.
    pub(crate) fn forget(&mut self, rep: u32) -> Option<u64> {
        let serial = self.registry.forget(rep)?;
        self.gates.open(serial);
        self.permits.forget(serial);
        Some(serial)
    }

    /// Counts a call of `op` on resource `rep` against the plan; `Some` is the rule that
    /// selects it.
    pub(crate) fn decide(&mut self, op: crate::plan::Op, rep: Option<u32>) -> Option<Injection> {
        let res = rep.and_then(|rep| self.registry.get(rep));
        let serial = res.map(|r| r.serial);
        let call = Call {
            op,
            serial,
            connected: res.is_some_and(|r| r.remote.is_some()),
            woken: serial.is_some_and(|s| self.woken.remove(&s)),
            timer_wakes: self.detector.timer_wakes(),
        };
        self.rules.decide(&call)
    }

    /// A wait found these resources ready: the next call on each comes right after the
    /// wake-up.
    pub(crate) fn woke(&mut self, resources: &[crate::resources::ResourceId]) {
        self.woken.extend(resources.iter().map(|id| id.serial));
    }

    /// Counts one wait on a socket pollable against the plan's wait rules; a selected
    /// wait re-arms the owner's gate. Returns the rule that selected it.
    pub(crate) fn observe(&mut self, pollable: u32) -> Option<Injection> {
        let serial = self.registry.socket_of(pollable)?;
        let res = self.registry.by_serial(serial)?;
        let call = Call {
            op: res.kind.wait_op(),
            serial: Some(serial),
            connected: res.remote.is_some(),
            woken: false,
            timer_wakes: self.detector.timer_wakes(),
        };
        let injection = self.rules.decide(&call)?;
        self.gates.arm(serial, injection.ready, None);
        Some(injection)
    }

    /// Sets what the pollables of resource `rep` report after an injected answer, and the
    /// not-ready answer that stands with them until the guest has waited.
    pub(crate) fn arm(&mut self, rep: u32, ready: Readiness, hold: Option<Hold>) {
        if let Some(serial) = self.registry.serial(rep) {
            self.gates.arm(serial, ready, hold);
        }
    }

    /// The not-ready answer standing on resource `rep`, if its gate is still closed.
    pub(crate) fn hold(&self, rep: u32) -> Option<&Hold> {
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

    /// An injected error was answered; remembered until data moves again.
    pub(crate) fn error_injected(&mut self, what: String) {
        self.detector.error_injected(what);
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
    pub(crate) fn gate(&self, pollable: u32) -> Option<Gate> {
        self.gates.get(self.registry.socket_of(pollable)?)
    }

    /// Whether the pollables of resource `rep` are held not ready (a count left, or never).
    pub(crate) fn closed(&self, rep: u32) -> bool {
        let gate = self.registry.serial(rep).and_then(|s| self.gates.get(s));
        matches!(gate, Some(Gate::Ticks(_) | Gate::Never))
    }

    /// Uses up `ticks` readiness checks on a pollable's gate.
    pub(crate) fn tick(&mut self, pollable: u32, ticks: u32) {
        if let Some(serial) = self.registry.socket_of(pollable) {
            self.gates.tick(serial, ticks);
        }
    }
}
