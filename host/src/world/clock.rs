//! Virtual time: a monotonic clock that starts at a fixed value and moves only when the
//! guest waits and nothing but a timer can wake it; then it jumps to the earliest
//! deadline. The guest's timers are pollables with deadlines on this clock.

use std::collections::BTreeMap;
use std::time::Duration;

/// Where the monotonic clock starts (1 s, so no guest mistakes it for "unset").
const START_NS: u64 = 1_000_000_000;
/// What the wall clock says at the start: 2026-01-01T00:00:00Z, printed in the trace.
pub(crate) const WALL_START_SECS: u64 = 1_767_225_600;

/// One run's virtual time.
#[derive(Debug)]
pub(crate) struct VirtualClock {
    now: u64,
    /// Deadline of each timer pollable, by table rep.
    timers: BTreeMap<u32, u64>,
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self {
            now: START_NS,
            timers: BTreeMap::new(),
        }
    }
}

impl VirtualClock {
    /// The monotonic clock, in nanoseconds.
    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    /// Time since the run started.
    pub(crate) fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.now - START_NS)
    }

    /// The wall clock: the fixed start date plus the virtual time elapsed.
    pub(crate) fn wall(&self) -> Duration {
        Duration::from_secs(WALL_START_SECS) + self.elapsed()
    }

    /// A new timer pollable that is ready at `deadline`.
    pub(crate) fn arm(&mut self, pollable: u32, deadline: u64) {
        self.timers.insert(pollable, deadline);
    }

    /// Forgets a dropped pollable.
    pub(crate) fn forget(&mut self, pollable: u32) {
        self.timers.remove(&pollable);
    }

    /// The deadline of a timer pollable; `None` for any other pollable.
    pub(crate) fn deadline(&self, pollable: u32) -> Option<u64> {
        self.timers.get(&pollable).copied()
    }

    /// Moves time forward (never back) to `when`.
    pub(crate) fn advance_to(&mut self, when: u64) {
        self.now = self.now.max(when);
    }
}
