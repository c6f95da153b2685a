//! Readiness gates: what a socket's pollables report instead of the real readiness
//! after an injected answer. Counted in checks, never timed.

use crate::plan::Readiness;
use std::collections::BTreeMap;

/// What a socket pollable reports instead of the real readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Not ready for this many more checks.
    Ticks(u32),
    /// Not ready until a real call makes progress.
    Never,
    /// Ready at once.
    Spurious,
}

/// Gates per resource serial.
#[derive(Default)]
pub(crate) struct Gates {
    gates: BTreeMap<u64, Gate>,
}

impl Gates {
    /// Sets the gate after an injected answer.
    pub(crate) fn arm(&mut self, serial: u64, ready: Readiness) {
        match ready {
            Readiness::Real | Readiness::NotReady(0) => self.gates.remove(&serial),
            Readiness::NotReady(k) => self.gates.insert(serial, Gate::Ticks(k)),
            Readiness::Never => self.gates.insert(serial, Gate::Never),
            Readiness::Spurious => self.gates.insert(serial, Gate::Spurious),
        };
    }

    /// Hands readiness back to the real pollable.
    pub(crate) fn open(&mut self, serial: u64) {
        self.gates.remove(&serial);
    }

    /// The gate on a resource, if any.
    pub(crate) fn get(&self, serial: u64) -> Option<Gate> {
        self.gates.get(&serial).copied()
    }

    /// Uses up `ticks` readiness checks; an exhausted gate hands over to the real pollable.
    pub(crate) fn tick(&mut self, serial: u64, ticks: u32) {
        if let Some(Gate::Ticks(left)) = self.gates.get_mut(&serial) {
            *left = left.saturating_sub(ticks);
            if *left == 0 {
                self.gates.remove(&serial);
            }
        }
    }
}
