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
use crate::faults::Then;
use crate::resources::ResourceId;
use crate::trace::{Event, Text};
use crate::world::SILENT_LIMIT;
use std::time::Duration;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi_io::bindings::wasi::io::poll::{Host, HostPollable};

const POLL: &str = "wasi:io/poll";

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
        let Some((label, id)) = self.run.owner(rep) else {
            return self.table.ready(pollable).await;
        };
        let mut event = Event::new(POLL, "ready", label).on(None, Some(id));
        event.waits = vec![id];
        let (note, rule, gated) = self.run.decide_ready(rep);
        (event.fault, event.rule) = (note, rule);
        let ready = match gated {
            Some(ready) => ready,
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
        self.run.forget_pollable(pollable.rep());
        HostPollable::drop(self.table, pollable)
    }
}

impl IoView<'_> {
    /// `poll` and `block`: the gates first ([`Run::decide_wait`]), then the real
    /// pollables that are left.
    async fn wait(
        &mut self,
        op: &'static str,
        pollables: Vec<Resource<DynPollable>>,
    ) -> wasmtime::Result<Vec<u32>> {
        let reps: Vec<u32> = pollables.iter().map(Resource::rep).collect();
        let owners: Vec<Option<(Text, ResourceId)>> =
            reps.iter().map(|rep| self.run.owner(*rep)).collect();
        if owners.iter().all(Option::is_none) {
            // No socket the plan governs: the real pollables (and timers) decide, untraced.
            let all: Vec<usize> = (0..reps.len()).collect();
            let ready = self.poll_open(&reps, &all).await?;
            self.run.timer_woke(&reps, &ready);
            return Ok(ready);
        }
        // The harness's TCP peers finish what they were doing first: what is ready then
        // does not depend on how fast their threads ran.
        if self.run.has_peers() {
            self.run.settle(0).await;
        }
        let mut event = Event::new(POLL, op, Text::default());
        let labels: Vec<Text> = owners.iter().flatten().map(|(l, _)| l.clone()).collect();
        event.args = Text::Waits {
            labels: labels.clone(),
            others: owners.iter().filter(|o| o.is_none()).count() as u64,
        };
        event.waits = owners.iter().flatten().map(|(_, id)| *id).collect();
        let governed: Vec<bool> = owners.iter().map(Option::is_some).collect();
        let decision = self.run.decide_wait(&reps, &governed);
        (event.fault, event.rule) = (decision.note.clone(), decision.rule);
        let on = Text::Ready(labels);
        let hang_note = decision.hang_note();
        let (open, missed) = match decision.then {
            // A spurious gate wakes the guest at once, whatever the real pollable says.
            Then::Wake(ready) => {
                self.woke(event, &owners, &ready);
                self.run.no_progress()?;
                return Ok(ready);
            }
            Then::Hang => {
                event.result = "hang".into();
                self.run.record(event);
                return Err(self.run.hang(op, &on, None).into());
            }
            Then::Real { open, missed } => (open, missed),
        };
        // A missed wake-up beside real pollables and no timer: only the real world can end
        // the wait. Decided now, not by the wall clock: once the harness's own peers have
        // settled, nothing of theirs is coming; what the harness cannot see settle gets a
        // bounded quiet window.
        if missed && !self.run.has_timer(&reps, &open) {
            self.run.settle(2).await;
            let window = self.run.quiet_window(&reps, &open);
            if let Some(ready) = self.poll_real(&reps, &open, Some(window)).await? {
                self.woke(event, &owners, &ready);
                return Ok(ready);
            }
            event.fault = Some(hang_note);
            event.result = "hang".into();
            self.run.record(event);
            return Err(self.run.hang(op, &on, Some(window)).into());
        }
        // Real servers behind the harness's relays alone, and no timer: the relays have
        // let them answer; one that says nothing more is named, never a time limit.
        if !self.run.has_timer(&reps, &open) && self.run.relayed_only(&reps, &open) {
            self.run.settle(2).await;
            if let Some(ready) = self.poll_real(&reps, &open, Some(SILENT_LIMIT)).await? {
                self.woke(event, &owners, &ready);
                return Ok(ready);
            }
            event.result = "server-silent".into();
            self.run.record(event);
            return Err(self.run.server_silent(op, &on, SILENT_LIMIT).into());
        }
        let ready = self.poll_open(&reps, &open).await?;
        self.woke(event, &owners, &ready);
        self.run.timer_woke(&reps, &ready);
        Ok(ready)
    }

    /// The wait ends with `ready` (positions in the wait): the trace says which socket
    /// pollables woke, and the next call on each comes right after the wake-up.
    fn woke(&mut self, mut event: Event, owners: &[Option<(Text, ResourceId)>], ready: &[u32]) {
        (event.result, event.woke) = ready_text(owners, ready);
        self.run.woke(&event.woke);
        self.run.record(event);
    }

    /// Waits on the pollables at `open` (indices into `reps`). Real pollables decide
    /// as wasmtime-wasi does. Virtual timers are ready once the clock reaches them; when
    /// none is, the real world is let settle (the harness's peer has handled what it
    /// was sent, tokio has seen the kernel's events), and if still nothing is ready, the
    /// clock jumps to the earliest deadline: no sleeping on timers, ever.
    async fn poll_open(&mut self, reps: &[u32], open: &[usize]) -> wasmtime::Result<Vec<u32>> {
        let timers: Vec<(usize, u64)> = open
            .iter()
            .filter_map(|&i| Some((i, self.run.deadline(reps[i])?)))
            .collect();
        let real: Vec<usize> = open
            .iter()
            .copied()
            .filter(|i| !timers.iter().any(|(t, _)| t == i))
            .collect();
        if timers.is_empty() {
            return Ok(self.poll_real(reps, &real, None).await?.unwrap_or_default());
        }
        let now = self.run.now().unwrap_or(0);
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
                self.run.settle(2).await;
                let seen = self.poll_real(reps, &real, Some(Duration::ZERO)).await?;
                ready.extend(seen.unwrap_or_default());
                ready.sort_unstable();
            }
            return Ok(ready);
        }
        // Time passing means the event loop runs: even a wait on timers alone lets
        // background sends finish and the kernel's events reach tokio before the jump, and
        // the harness's own peers handle what the guest sent them.
        self.run.settle(2).await;
        if !real.is_empty() {
            // A peer the harness does not own cannot be seen to settle: give it a moment.
            let window = self.run.settle_window();
            if let Some(ready) = self.poll_real(reps, &real, Some(window)).await? {
                return Ok(ready);
            }
            if let Some(ready) = self.drain_in_flight(reps, &real).await? {
                return Ok(ready);
            }
        }
        let earliest = timers.iter().map(|(_, d)| *d).min().unwrap_or(now);
        self.run.advance_to(earliest)?;
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
            if !self.run.in_flight() {
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
        if self.run.waits_on_tcp_input(reps, which) && self.run.in_flight() {
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
        // While the guest waits, a relayed server's late bytes reach it as they come.
        self.run.waiting(true);
        let ready = match limit {
            None => Some(poll.await),
            Some(limit) => tokio::time::timeout(limit, poll).await.ok(),
        };
        self.run.waiting(false);
        let Some(ready) = ready.transpose()? else {
            return Ok(None);
        };
        Ok(Some(
            ready
                .into_iter()
                .map(|i| which[i as usize] as u32)
                .collect(),
        ))
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
