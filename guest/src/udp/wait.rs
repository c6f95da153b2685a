//! Waiting between attempts: one `wasi:io/poll` over the resource's pollable, the
//! insurance / ENOBUFS backoff clock and the call's deadline; and the small helpers every
//! blocking call of the library shares (the TCP ones too).

use std::io;
use std::time::Duration;

use wasi::clocks::monotonic_clock;
use wasi::io::poll::{self, Pollable};

/// First step of the insurance / ENOBUFS backoff clock.
const BACKOFF_START: Duration = Duration::from_millis(5);
/// Longest step of the backoff clock: bounds the latency a missed wake-up
/// can add to one attempt.
const BACKOFF_CAP: Duration = Duration::from_millis(100);

/// What ended a [`wait`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Woken {
    /// The stream's pollable (possibly with others).
    Readiness,
    /// The insurance / backoff clock, not the stream's pollable.
    Clock,
    /// The call's deadline alone.
    Deadline,
}

/// Blocks in `wasi:io/poll` until the stream's pollable (when given), the
/// backoff `clock` or the `deadline` is ready.
///
/// `Deadline` only when nothing else is ready: if anything else woke too, one
/// more attempt is cheap and may succeed.
pub(super) fn wait(
    readiness: Option<&Pollable>,
    clock: &Pollable,
    deadline: Option<&Pollable>,
) -> Woken {
    let mut set = Vec::with_capacity(3);
    set.extend(readiness);
    set.push(clock);
    set.extend(deadline);
    // WIT (wasi:io/poll): "This function traps if either: - the list is
    // empty, ..." It always holds the clock.
    let ready = poll::poll(&set);
    let readiness_index = readiness.map(|_| 0);
    let deadline_index = deadline.map(|_| set.len() - 1);
    if ready.iter().any(|&i| Some(i as usize) == readiness_index) {
        Woken::Readiness
    } else if ready.iter().all(|&i| Some(i as usize) == deadline_index) {
        Woken::Deadline
    } else {
        Woken::Clock
    }
}

/// The insurance / ENOBUFS backoff clock of one blocking call: 5 ms,
/// doubling, capped at 100 ms. A fresh one per call is the reset after a
/// successful attempt.
pub(crate) struct Backoff(Duration);

impl Backoff {
    pub(crate) fn new() -> Self {
        Self(BACKOFF_START)
    }

    /// The current step; the next one is twice as long, up to the cap.
    pub(super) fn step(&mut self) -> Duration {
        let step = self.0;
        self.0 = (step * 2).min(BACKOFF_CAP);
        step
    }

    /// A clock pollable that is ready after the current step.
    pub(crate) fn clock(&mut self) -> Pollable {
        monotonic_clock::subscribe_duration(nanos(self.step()))
    }
}

/// A not-ready answer, as std's non-blocking sockets give it.
pub(crate) fn would_block(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::WouldBlock, what)
}

/// A timeout as std takes it: `None` waits forever, zero is refused.
pub(crate) fn check_timeout(timeout: Option<Duration>) -> io::Result<Option<Duration>> {
    if timeout == Some(Duration::ZERO) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "cannot set a 0 duration timeout",
        ));
    }
    Ok(timeout)
}

/// A duration as the nanoseconds of `wasi:clocks`, saturating (u64 ns is
/// over 500 years).
pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
