//! `wasi:clocks/monotonic-clock`, decorated. With the real clock, time and timers are
//! wasmtime-wasi's. With virtual time (the default), `now` is the run's virtual clock and
//! a subscription is a timer pollable on it, which `wasi:io/poll` makes ready by moving
//! the clock, never by sleeping. Either way every timer pollable is classified as a clock
//! when it is created: a wake-up by a clock is the one sign that the guest backed off.

use super::ClocksView;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::{Duration, Host, Instant};
use wasmtime_wasi_io::poll::{Pollable, subscribe};

/// A timer on the virtual clock. Its readiness is decided in `wasi:io/poll` from its
/// deadline; wasmtime's own poll never waits on it.
struct VirtualTimer;

#[async_trait::async_trait]
impl Pollable for VirtualTimer {
    async fn ready(&mut self) {
        std::future::pending::<()>().await;
    }
}

impl Host for ClocksView<'_> {
    fn now(&mut self) -> wasmtime::Result<Instant> {
        match self.run.now() {
            Some(now) => Ok(now),
            None => self.inner.now(),
        }
    }

    fn resolution(&mut self) -> wasmtime::Result<Instant> {
        match self.run.now() {
            Some(_) => Ok(1),
            None => self.inner.resolution(),
        }
    }

    fn subscribe_instant(&mut self, when: Instant) -> wasmtime::Result<Resource<DynPollable>> {
        match self.run.now() {
            Some(_) => self.timer(when),
            None => {
                let pollable = self.inner.subscribe_instant(when)?;
                self.run.timer(pollable.rep(), None);
                Ok(pollable)
            }
        }
    }

    fn subscribe_duration(
        &mut self,
        duration: Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        match self.run.now() {
            Some(now) => self.timer(now.saturating_add(duration)),
            None => {
                let pollable = self.inner.subscribe_duration(duration)?;
                self.run.timer(pollable.rep(), None);
                Ok(pollable)
            }
        }
    }
}

impl ClocksView<'_> {
    /// A virtual timer pollable, ready at `deadline`.
    fn timer(&mut self, deadline: u64) -> wasmtime::Result<Resource<DynPollable>> {
        let timer = self.inner.table.push(VirtualTimer)?;
        let pollable = subscribe(self.inner.table, timer)?;
        self.run.timer(pollable.rep(), Some(deadline));
        Ok(pollable)
    }
}
