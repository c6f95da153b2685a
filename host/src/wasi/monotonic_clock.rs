//! `wasi:clocks/monotonic-clock`, decorated: time comes from wasmtime-wasi; every timer
//! pollable is classified as a clock when it is created, because a wake-up by a clock is
//! the one sign that the guest backed off.

use super::ClocksView;
use crate::faults::Class;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::{Duration, Host, Instant};

impl Host for ClocksView<'_> {
    fn now(&mut self) -> wasmtime::Result<Instant> {
        self.inner.now()
    }

    fn resolution(&mut self) -> wasmtime::Result<Instant> {
        self.inner.resolution()
    }

    fn subscribe_instant(&mut self, when: Instant) -> wasmtime::Result<Resource<DynPollable>> {
        let pollable = self.inner.subscribe_instant(when)?;
        self.faults.registry.classify(pollable.rep(), Class::Clock);
        Ok(pollable)
    }

    fn subscribe_duration(
        &mut self,
        duration: Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let pollable = self.inner.subscribe_duration(duration)?;
        self.faults.registry.classify(pollable.rep(), Class::Clock);
        Ok(pollable)
    }
}
