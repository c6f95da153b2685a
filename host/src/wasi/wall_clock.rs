//! `wasi:clocks/wall-clock`, decorated: with virtual time, a fixed date (2026-01-01T00:00:00Z,
//! in the trace's `time_ns` terms: its start) plus the virtual time elapsed, so a guest
//! that prints the date prints the same one on every run.

use super::ClocksView;
use wasmtime_wasi::p2::bindings::clocks::wall_clock::{Datetime, Host};

impl Host for ClocksView<'_> {
    fn now(&mut self) -> wasmtime::Result<Datetime> {
        match self.run.wall() {
            Some(wall) => Ok(Datetime {
                seconds: wall.as_secs(),
                nanoseconds: wall.subsec_nanos(),
            }),
            None => self.inner.now(),
        }
    }

    fn resolution(&mut self) -> wasmtime::Result<Datetime> {
        match self.run.wall() {
            Some(_) => Ok(Datetime {
                seconds: 0,
                nanoseconds: 1,
            }),
            None => self.inner.resolution(),
        }
    }
}
