//! The run's verbs for waits and time: the gates' decision for a wait, what woke the
//! guest, how long the real world gets to settle, and the virtual clock. The poll and
//! clock decorators ask these; what the windows are is decided here, beside the world.

use super::Run;
use crate::faults::{Class, WaitDecision};
use crate::resources::{Kind, ResourceId};
use crate::trace::Text;
use crate::verdict::{Stop, during};
use std::time::Duration;

/// How long a wait with a timer gives a real socket whose peer the harness does not own to
/// become ready before virtual time jumps: loopback answers in microseconds, and a peer
/// slower than this gets the guest's timeout, as a slow peer would.
const SETTLE_EXTERNAL: Duration = Duration::from_millis(5);
/// How long a wait with a timer gives a real socket while one of the harness's own TCP
/// peers still has a connection open: that peer is a thread that will answer (send,
/// echo, close), and a busy machine may need more than [`SETTLE_EXTERNAL`] to run it.
const SETTLE_TCP_PEER: Duration = Duration::from_millis(50);

impl Run {
    /// The socket resource a pollable reports on: its label and id.
    pub(crate) fn owner(&self, pollable: u32) -> Option<(Text, ResourceId)> {
        let owner = self.faults.registry.pollable_owner(pollable)?;
        Some((owner.label.clone(), owner.id()))
    }

    /// Decides a wait on `reps` (`governed`: those the plan gates), counted in the stats.
    pub(crate) fn decide_wait(&mut self, reps: &[u32], governed: &[bool]) -> WaitDecision {
        self.recorder.stats.socket_waits += 1;
        let decision = self.faults.decide_wait(reps, governed);
        self.recorder.stats.faults_injected += decision.injected;
        decision
    }

    /// Decides one `ready()` check of a socket pollable, counted in the stats: the note,
    /// the rule, and the gate's answer (`None`: the real pollable answers).
    pub(crate) fn decide_ready(
        &mut self,
        pollable: u32,
    ) -> (Option<String>, Option<usize>, Option<bool>) {
        self.recorder.stats.socket_waits += 1;
        let decided = self.faults.decide_ready(pollable);
        self.recorder.stats.faults_injected += u64::from(decided.1.is_some());
        decided
    }

    /// A wait found these resources ready: the next call on each comes right after the
    /// wake-up.
    pub(crate) fn woke(&mut self, resources: &[ResourceId]) {
        self.faults.woke(resources);
    }

    /// The guest waited on `op` over `on`, and no gate and nothing real can end it.
    pub(crate) fn hang(&self, op: &'static str, on: &Text, window: Option<Duration>) -> Stop {
        match window {
            None => during::hang(&self.recorder, op, on),
            Some(window) => during::hang_beside_real(&self.recorder, op, on, window),
        }
    }

    /// Whether every pollable at `which` is a connection's to a real server through a
    /// relay: then the relay knows whether anything more is coming.
    pub(crate) fn relayed_only(&self, reps: &[u32], which: &[usize]) -> bool {
        let registry = &self.faults.registry;
        let relays = &self.world.relays;
        relays.any()
            && which.iter().all(|&i| {
                let remote = registry.pollable_owner(reps[i]).and_then(|r| r.remote);
                remote.is_some_and(|server| relays.relays_to(server))
            })
    }

    /// Whether the guest has connected to a real server through a relay.
    pub(crate) fn relaying(&self) -> bool {
        self.world.relays.any()
    }

    /// The guest waits (`true`) or no longer does: a relayed server's late bytes go
    /// straight to the guest while it waits.
    pub(crate) fn waiting(&self, now: bool) {
        self.world.relays.waiting(now);
    }

    /// The guest waited on relayed connections alone, with no timer, and their servers
    /// said nothing for `waited`.
    pub(crate) fn server_silent(&self, op: &'static str, on: &Text, waited: Duration) -> Stop {
        let servers = self.world.relays.unanswered();
        during::server_silent(&self.recorder, op, on, &servers, waited)
    }

    /// Whether the run has peers of the harness's own to let settle before a wait.
    pub(crate) fn has_peers(&self) -> bool {
        self.world.has_peers()
    }

    /// The harness's peers finish what they were doing; `turns` of the event loop let the
    /// guest's own background I/O reach the kernel.
    pub(crate) async fn settle(&self, turns: u32) {
        self.world.settle_async(turns).await;
    }

    /// How long the real pollables at `which` (positions in `reps`) get to become ready
    /// before a wait that only they can end is a hang.
    pub(crate) fn quiet_window(&self, reps: &[u32], which: &[usize]) -> Duration {
        self.world.quiet_window(&self.faults.registry, reps, which)
    }

    /// How long a wait with a timer gives real sockets before virtual time jumps.
    pub(crate) fn settle_window(&self) -> Duration {
        if self.world.tcp_peers_open() {
            SETTLE_TCP_PEER
        } else if self.world.external {
            SETTLE_EXTERNAL
        } else {
            Duration::ZERO
        }
    }

    /// Whether the guest's own TCP bytes are on their way to its other end.
    pub(crate) fn in_flight(&self) -> bool {
        self.world.guest_bytes_in_flight()
    }

    /// Whether one of the pollables at `which` is a TCP input's.
    pub(crate) fn waits_on_tcp_input(&self, reps: &[u32], which: &[usize]) -> bool {
        let registry = &self.faults.registry;
        which.iter().any(|&i| {
            let owner = registry.pollable_owner(reps[i]);
            owner.is_some_and(|res| res.id().kind == Kind::TcpInput)
        })
    }

    /// Whether a timer is among the pollables at `which`: then time can end the wait.
    pub(crate) fn has_timer(&self, reps: &[u32], which: &[usize]) -> bool {
        which.iter().any(|&i| {
            self.faults.registry.class(reps[i]) == Class::Clock || self.deadline(reps[i]).is_some()
        })
    }

    /// A wake-up by a clock is the guest backing off; by a stream or anything else it is
    /// not, so a guest that polls stdin instead of a timer still counts as spinning.
    pub(crate) fn timer_woke(&mut self, reps: &[u32], ready: &[u32]) {
        let registry = &self.faults.registry;
        if ready
            .iter()
            .any(|&i| registry.class(reps[i as usize]) == Class::Clock)
        {
            self.faults.timer_wake();
        }
    }

    /// A pollable is dropped.
    pub(crate) fn forget_pollable(&mut self, pollable: u32) {
        self.faults.registry.unsubscribe(pollable);
        if let Some(clock) = &mut self.world.clock {
            clock.forget(pollable);
        }
    }

    /// Virtual time now, in nanoseconds, if the run has a virtual clock.
    pub(crate) fn now(&self) -> Option<u64> {
        self.world.clock.as_ref().map(|c| c.now())
    }

    /// The deadline of a virtual timer pollable.
    pub(crate) fn deadline(&self, pollable: u32) -> Option<u64> {
        self.world.clock.as_ref()?.deadline(pollable)
    }

    /// A clock's pollable: a virtual timer due at `deadline`, or a real clock's (`None`).
    pub(crate) fn timer(&mut self, pollable: u32, deadline: Option<u64>) {
        self.faults.registry.classify(pollable, Class::Clock);
        if let (Some(clock), Some(deadline)) = (&mut self.world.clock, deadline) {
            clock.arm(pollable, deadline);
        }
    }

    /// Virtual time jumps to `when`; past `--time-limit` on the guest's own clock, the
    /// guest is stopped.
    pub(crate) fn advance_to(&mut self, when: u64) -> Result<(), Stop> {
        if let Some(clock) = &mut self.world.clock {
            clock.advance_to(when);
            let limit = self.world.time_limit;
            if clock.elapsed() > limit {
                return Err(during::virtual_time_limit(&self.recorder, limit));
            }
        }
        Ok(())
    }

    /// Wall-clock time on the virtual clock, if the run has one.
    pub(crate) fn wall(&self) -> Option<Duration> {
        self.world.clock.as_ref().map(|c| c.wall())
    }
}
