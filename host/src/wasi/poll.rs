//! `wasi:io/poll`, decorated: socket pollables answer through the plan's readiness gates,
//! everything else (clocks, streams) goes straight to wasmtime-wasi. Every pollable was
//! classified when it was created; only a clock's wake-up counts as the guest backing off.
//!
//! Readiness is counted, never timed. A gate that is `not-ready K` stays not ready for K
//! checks: each `pollable.ready()` call is one check, and a blocking `poll` runs checks
//! back to back until the first gate opens (simulated time, no wall clock). Then the real
//! pollable decides, so a stream whose background send is still pending keeps the guest
//! waiting as the real host would, instead of livelocking it on a gate that says "ready".

use super::IoView;
use crate::faults::{Class, Gate, Injection};
use crate::resources::{Kind, ResourceId};
use crate::trace::{Event, Text};
use crate::verdict::during;
use std::time::Duration;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi_io::bindings::wasi::io::poll::{Host, HostPollable};

const POLL: &str = "wasi:io/poll";

/// How long a wait with a timer gives a real socket whose peer the harness does not own to
/// become ready before virtual time jumps: loopback answers in microseconds, and a peer
/// slower than this gets the guest's timeout, as a slow peer would.
const SETTLE_EXTERNAL: Duration = Duration::from_millis(5);
/// How long a wait with a timer gives a real socket while one of the harness's own TCP
/// peers still has a connection open: that peer is a thread that will answer (send,
/// echo, close), and a busy machine may need more than [`SETTLE_EXTERNAL`] to run it.
const SETTLE_TCP_PEER: Duration = Duration::from_millis(50);

/// Event-loop turns the guest's own bytes in flight get to reach its other end (a write
/// is a background task, its arrival a kernel event, the read another task: a handful of
/// turns; the bound only stops a wait for bytes the other end never reads).
const IN_FLIGHT_TURNS: u32 = 64;

/// How long the kernel may hold the guest's own bytes on their way to its other end
/// (Linux's delayed ACK is at most 200 ms): the bound of a wait that they end at once.
const IN_FLIGHT_WAIT: Duration = Duration::from_millis(250);

impl Host for IoView<'_> {
    async fn poll(&mut self, pollables: Vec<Resource<DynPollable>>) -> wasmtime::Result<Vec<u32>> {
        self.wait("poll", pollables).await
    }
}

impl HostPollable for IoView<'_> {
    async fn block(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        self.wait("block", vec![pollable]).await.map(drop)
    }

    async fn ready(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<bool> {
        let rep = pollable.rep();
        let Some((label, id)) = self.owner(rep) else {
            return self.table.ready(pollable).await;
        };
        self.run.recorder.stats.socket_waits += 1;
        let mut event = Event::new(POLL, "ready", label).on(None, Some(id));
        event.waits = vec![id];
        let injection = self.run.observe(rep);
        event.rule = injection.as_ref().map(|i| i.index);
        event.fault = injection.map(|i| i.rule);
        let ready = match self.run.faults.gate(rep) {
            Some(gate) => {
                event.fault = Some(note(event.fault.take(), gate_note(gate)));
                self.run.faults.tick(rep, 1);
                gate.is_spurious()
            }
            None => self.table.ready(pollable).await?,
        };
        event.result = if ready { "true" } else { "false" }.into();
        self.run.record(event);
        if !ready {
            self.run.no_progress()?;
        }
        Ok(ready)
    }

    fn drop(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        self.run.faults.registry.unsubscribe(pollable.rep());
        if let Some(clock) = &mut self.run.world.clock {
            clock.forget(pollable.rep());
        }
        HostPollable::drop(self.table, pollable)
    }
}

impl IoView<'_> {
    /// The socket resource a pollable reports on: its label and id.
    fn owner(&self, pollable: u32) -> Option<(Text, ResourceId)> {
        let owner = self.run.faults.registry.pollable_owner(pollable)?;
        Some((owner.label.clone(), owner.id()))
    }

    /// `poll` and `block`: gates first, then the real pollables that are left.
    async fn wait(
        &mut self,
        op: &'static str,
        pollables: Vec<Resource<DynPollable>>,
    ) -> wasmtime::Result<Vec<u32>> {
        let reps: Vec<u32> = pollables.iter().map(Resource::rep).collect();
        let owners: Vec<Option<(Text, ResourceId)>> =
            reps.iter().map(|rep| self.owner(*rep)).collect();
        if owners.iter().all(Option::is_none) {
            // No socket the plan governs: the real pollables (and timers) decide, untraced.
            let all: Vec<usize> = (0..reps.len()).collect();
            let ready = self.poll_open(&reps, &all).await?;
            self.count_timer_wake(&reps, &ready);
            return Ok(ready);
        }
        self.run.recorder.stats.socket_waits += 1;
        // The harness's TCP peers finish what they were doing first: what is ready then
        // does not depend on how fast their threads ran.
        if self.run.world.has_peers() {
            self.run.world.settle_async(0).await;
        }
        let mut event = Event::new(POLL, op, Text::default());
        let labels: Vec<Text> = owners.iter().flatten().map(|(l, _)| l.clone()).collect();
        event.args = Text::Waits {
            labels: labels.clone(),
            others: owners.iter().filter(|o| o.is_none()).count() as u64,
        };
        event.waits = owners.iter().flatten().map(|(_, id)| *id).collect();
        let observed: Vec<Injection> = reps
            .iter()
            .zip(&owners)
            .filter(|(_, owner)| owner.is_some())
            .filter_map(|(rep, _)| self.run.observe(*rep))
            .collect();
        event.rule = observed.first().map(|i| i.index);
        let observed = (!observed.is_empty()).then(|| {
            let rules: Vec<&str> = observed.iter().map(|i| i.rule.as_str()).collect();
            rules.join(", ")
        });
        let gates: Vec<Option<Gate>> = reps.iter().map(|rep| self.run.faults.gate(*rep)).collect();

        // A spurious gate wakes the guest at once, whatever the real pollable says.
        let spurious: Vec<u32> = (0..reps.len() as u32)
            .filter(|&i| gates[i as usize].is_some_and(Gate::is_spurious))
            .collect();
        if !spurious.is_empty() {
            let once = spurious
                .iter()
                .all(|&i| gates[i as usize] == Some(Gate::SpuriousOnce));
            let gate = if once {
                Gate::SpuriousOnce
            } else {
                Gate::Spurious
            };
            event.fault = Some(note(observed, gate_note(gate)));
            for &i in &spurious {
                self.run.faults.tick(reps[i as usize], 1);
            }
            (event.result, event.woke) = ready_text(&owners, &spurious);
            self.run.faults.woke(&event.woke);
            self.run.record(event);
            self.run.no_progress()?;
            return Ok(spurious);
        }

        // Run readiness checks until the first finite gate opens.
        let ticks = gates
            .iter()
            .filter_map(|g| match g {
                Some(Gate::Ticks(k)) => Some(*k),
                _ => None,
            })
            .min();
        if let Some(ticks) = ticks {
            event.fault = Some(note(
                observed.clone(),
                format!("not-ready for {ticks} check(s), then real"),
            ));
            for (rep, gate) in reps.iter().zip(&gates) {
                if matches!(gate, Some(Gate::Ticks(_))) {
                    self.run.faults.tick(*rep, ticks);
                }
            }
        }

        if event.fault.is_none() {
            event.fault = observed.clone();
        }
        let open: Vec<usize> = (0..reps.len())
            .filter(|&i| self.run.faults.gate(reps[i]).is_none())
            .collect();
        if open.is_empty() {
            event.fault = Some(note(observed, gate_note(Gate::Never)));
            event.result = "hang".into();
            self.run.record(event);
            let stop = during::hang(&self.run.recorder, op, &Text::Ready(labels));
            return Err(stop.into());
        }
        // A missed wake-up beside real pollables and no timer: only the real world can end
        // the wait. Decided now, not by the wall clock: once the harness's own peers have
        // settled, nothing of theirs is coming; what the harness cannot see settle gets a
        // bounded quiet window.
        let missed = gates.contains(&Some(Gate::Never));
        if missed && !self.has_timer(&reps, &open) {
            self.run.world.settle_async(2).await;
            let window = self
                .run
                .world
                .quiet_window(&self.run.faults.registry, &reps, &open);
            if let Some(ready) = self.poll_real(&reps, &open, Some(window)).await? {
                (event.result, event.woke) = ready_text(&owners, &ready);
                self.run.faults.woke(&event.woke);
                self.run.record(event);
                return Ok(ready);
            }
            event.fault = Some(note(observed, gate_note(Gate::Never)));
            event.result = "hang".into();
            self.run.record(event);
            let on = Text::Ready(labels);
            let stop = during::hang_beside_real(&self.run.recorder, op, &on, window);
            return Err(stop.into());
        }
        let ready = self.poll_open(&reps, &open).await?;
        (event.result, event.woke) = ready_text(&owners, &ready);
        self.run.faults.woke(&event.woke);
        self.run.record(event);
        self.count_timer_wake(&reps, &ready);
        Ok(ready)
    }

    /// Waits on the pollables at `open` (indices into `reps`). Real pollables decide
    /// as wasmtime-wasi does. Virtual timers are ready once the clock reaches them; when
    /// none is, the real world is let settle (the harness's peer has handled what it
    /// was sent, tokio has seen the kernel's events), and if still nothing is ready, the
    /// clock jumps to the earliest deadline: no sleeping on timers, ever.
    async fn poll_open(&mut self, reps: &[u32], open: &[usize]) -> wasmtime::Result<Vec<u32>> {
        let clock = self.run.world.clock.as_ref();
        let timers: Vec<(usize, u64)> = open
            .iter()
            .filter_map(|&i| Some((i, clock?.deadline(reps[i])?)))
            .collect();
        let real: Vec<usize> = open
            .iter()
            .copied()
            .filter(|i| !timers.iter().any(|(t, _)| t == i))
            .collect();
        if timers.is_empty() {
            return Ok(self.poll_real(reps, &real, None).await?.unwrap_or_default());
        }
        let now = clock.map_or(0, |c| c.now());
        let due = |until: u64| -> Vec<u32> {
            let due = timers.iter().filter(|(_, deadline)| *deadline <= until);
            due.map(|(i, _)| *i as u32).collect()
        };
        if let ready @ [_, ..] = due(now).as_slice() {
            // A due timer beside real pollables (a zero-timeout poll) must not starve them:
            // the real world settles and they are looked at once, as a real host's
            // poll would (wasmtime#13040).
            let mut ready = ready.to_vec();
            if !real.is_empty() {
                self.run.world.settle_async(2).await;
                let seen = self.poll_real(reps, &real, Some(Duration::ZERO)).await?;
                ready.extend(seen.unwrap_or_default());
                ready.sort_unstable();
            }
            return Ok(ready);
        }
        // Time passing means the event loop runs: even a wait on timers alone lets
        // background sends finish and the kernel's events reach tokio before the jump, and
        // the harness's own peers handle what the guest sent them.
        self.run.world.settle_async(2).await;
        if !real.is_empty() {
            // A peer the harness does not own cannot be seen to settle: give it a moment.
            let tcp_busy = self.run.world.tcp_peers_open();
            let window = if tcp_busy {
                SETTLE_TCP_PEER
            } else if self.run.world.external {
                SETTLE_EXTERNAL
            } else {
                Duration::ZERO
            };
            if let Some(ready) = self.poll_real(reps, &real, Some(window)).await? {
                return Ok(ready);
            }
            if let Some(ready) = self.drain_in_flight(reps, &real).await? {
                return Ok(ready);
            }
        }
        let earliest = timers.iter().map(|(_, d)| *d).min().unwrap_or(now);
        if let Some(clock) = &mut self.run.world.clock {
            clock.advance_to(earliest);
            let limit = self.run.world.time_limit;
            if clock.elapsed() > limit {
                return Err(during::virtual_time_limit(&self.run.recorder, limit).into());
            }
        }
        Ok(due(earliest))
    }

    /// Bytes one of the guest's TCP sockets wrote that none of them has read yet, in a run
    /// with no harness peer, are on their way to its other end through
    /// wasmtime-wasi's background tasks and the kernel: the event loop runs, a turn at a
    /// time, until a real pollable at `which` shows them, before a timer may fire ahead
    /// of them (tokio's `timeout` beside a read under the virtual clock). Counted in
    /// turns, not time: the runtime is the guest's own thread, and loopback delivery
    /// happens within the write.
    async fn drain_in_flight(
        &mut self,
        reps: &[u32],
        which: &[usize],
    ) -> wasmtime::Result<Option<Vec<u32>>> {
        for _ in 0..IN_FLIGHT_TURNS {
            if !self.run.world.guest_bytes_in_flight() {
                return Ok(None);
            }
            tokio::task::yield_now().await;
            if let Some(ready) = self.poll_real(reps, which, Some(Duration::ZERO)).await? {
                return Ok(Some(ready));
            }
        }
        // Still owed, and the guest waits on one of its TCP inputs: the kernel holds the
        // bytes (Nagle's algorithm keeps a small segment until the other end's delayed
        // ACK, 40 ms on Linux and at most 200 ms), and real time brings them.
        let registry = &self.run.faults.registry;
        let input = which.iter().any(|&i| {
            let owner = registry.pollable_owner(reps[i]);
            owner.is_some_and(|res| res.id().kind == Kind::TcpInput)
        });
        if input && self.run.world.guest_bytes_in_flight() {
            return self.poll_real(reps, which, Some(IN_FLIGHT_WAIT)).await;
        }
        Ok(None)
    }

    /// The real pollables at `which`, through wasmtime-wasi; with a `limit`, `None` if
    /// none is ready within it.
    async fn poll_real(
        &mut self,
        reps: &[u32],
        which: &[usize],
        limit: Option<Duration>,
    ) -> wasmtime::Result<Option<Vec<u32>>> {
        let handles = which
            .iter()
            .map(|&i| Resource::<DynPollable>::new_borrow(reps[i]))
            .collect();
        let poll = Host::poll(self.table, handles);
        let ready = match limit {
            None => poll.await?,
            Some(limit) => match tokio::time::timeout(limit, poll).await {
                Ok(ready) => ready?,
                Err(_elapsed) => return Ok(None),
            },
        };
        Ok(Some(
            ready
                .into_iter()
                .map(|i| which[i as usize] as u32)
                .collect(),
        ))
    }

    /// Whether a timer is among the pollables at `which`: then time can end the wait.
    fn has_timer(&self, reps: &[u32], which: &[usize]) -> bool {
        let clock = self.run.world.clock.as_ref();
        let registry = &self.run.faults.registry;
        which.iter().any(|&i| {
            registry.class(reps[i]) == Class::Clock
                || clock.is_some_and(|c| c.deadline(reps[i]).is_some())
        })
    }

    /// A wake-up by a clock is the guest backing off; by a stream or anything else it is
    /// not, so a guest that polls stdin instead of a timer still counts as spinning.
    fn count_timer_wake(&mut self, reps: &[u32], ready: &[u32]) {
        let registry = &self.run.faults.registry;
        if ready
            .iter()
            .any(|&i| registry.class(reps[i as usize]) == Class::Clock)
        {
            self.run.faults.timer_wake();
        }
    }
}

/// The trace's fault note: the pollable rule that fired, if any, then what the gate did.
fn note(rule: Option<String>, gate: String) -> String {
    match rule {
        Some(rule) => format!("{rule}: {gate}"),
        None => gate,
    }
}

fn gate_note(gate: Gate) -> String {
    match gate {
        Gate::Ticks(k) => format!("not-ready ({k} check(s) left)"),
        Gate::Never => "never-ready".into(),
        Gate::Spurious => "spurious-ready".into(),
        Gate::SpuriousOnce => "spurious-ready once".into(),
    }
}

/// The socket pollables among the ready ones (`other` when none is).
fn ready_text(owners: &[Option<(Text, ResourceId)>], ready: &[u32]) -> (Text, Vec<ResourceId>) {
    let owned: Vec<&(Text, ResourceId)> = ready
        .iter()
        .filter_map(|&i| owners[i as usize].as_ref())
        .collect();
    let labels = owned.iter().map(|(label, _)| label.clone()).collect();
    (
        Text::Ready(labels),
        owned.iter().map(|(_, id)| *id).collect(),
    )
}
