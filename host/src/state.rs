//! The state of one run, in three parts (turmoil's split): the [`World`] (the harness's
//! peers, the virtual clock, settling), the [`Faults`] (the plan at work) and the
//! [`Recorder`] (trace and counters). What needs more than one part is here; verdicts are
//! [`verdict`](crate::verdict)'s.

use crate::faults::{Faults, Injection};
use crate::plan::Op;
use crate::recorder::Recorder;
use crate::resources::Kind;
use crate::trace::Event;
use crate::verdict::{Stop, during};
use crate::world::World;

/// One run's state, kept in the store.
pub(crate) struct Run {
    pub(crate) world: World,
    pub(crate) faults: Faults,
    pub(crate) recorder: Recorder,
}

impl Run {
    /// Appends a trace event, stamped with the virtual time.
    pub(crate) fn record(&mut self, event: Event) {
        let time = self.world.time_ns();
        self.recorder.record(event, time);
    }

    /// Counts a call against the plan ([`Faults::decide`]) and an injection in the stats.
    pub(crate) fn decide(&mut self, op: Op, rep: Option<u32>) -> Option<Injection> {
        let chosen = self.faults.decide(op, rep);
        self.recorder.stats.faults_injected += u64::from(chosen.is_some());
        chosen
    }

    /// Counts a wait against the plan ([`Faults::observe`]) and an injection in the stats.
    pub(crate) fn observe(&mut self, pollable: u32) -> Option<Injection> {
        let chosen = self.faults.observe(pollable);
        self.recorder.stats.faults_injected += u64::from(chosen.is_some());
        chosen
    }

    /// A call that moved nothing. Too many in a row and the guest is busy-looping: it is
    /// stopped here, because a guest that never blocks never lets anything else run.
    pub(crate) fn no_progress(&mut self) -> Result<(), Stop> {
        let detector = &mut self.faults.detector;
        detector
            .no_progress()
            .map_err(|calls| during::busy_loop(&self.recorder, calls, detector.threshold()))
    }

    /// The guest shut down the sending side of TCP socket `rep`, or closed it: its peer
    /// will see the end.
    pub(crate) fn tcp_end(&mut self, rep: u32) {
        if let Some(res) = self.faults.registry.get(rep)
            && res.kind == Kind::TcpSocket
            && res.remote.is_some()
        {
            self.world.tcp_ended.insert(res.serial);
        }
    }

    /// Stops following a dropped resource.
    pub(crate) fn forget(&mut self, rep: u32) {
        self.tcp_end(rep);
        self.faults.forget(rep);
    }

    /// The harness's peers finish what they were doing, if the run has any.
    pub(crate) fn settle_peers(&self) {
        if self.world.has_peers() {
            self.world.settle();
        }
    }
}
