//! The one worker pool behind every parallel run (`repeat`, `explore`, test suites): N jobs
//! on J threads, each result handed to the calling thread as it finishes, with its index,
//! so a caller can stream results and still put them in order. An interrupt flag (set by
//! a signal handler) stops it as a `Break` does.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often the calling thread looks at the interrupt flag while no result comes.
const INTERRUPT_POLL: Duration = Duration::from_millis(20);

/// Runs `work(i)` for every `i` in `0..count` on `jobs` threads (at least one), handing
/// the jobs out in index order; `on(i, result)` sees each result on the calling thread as
/// it arrives, so it needs neither `Send` nor a lock. `on` answering `Break` stops the
/// pool: no job starts after it, and the running ones finish with their results dropped.
///
/// `interrupt`, once set, stops it too: no job starts after it, and the results of the
/// jobs still running are dropped. Returns whether the interrupt stopped it.
pub(crate) fn run<R: Send>(
    interrupt: Option<&AtomicBool>,
    count: usize,
    jobs: usize,
    work: impl Fn(usize) -> R + Sync,
    mut on: impl FnMut(usize, R) -> ControlFlow<()>,
) -> bool {
    let interrupted = || interrupt.is_some_and(|flag| flag.load(Ordering::Relaxed));
    if interrupted() {
        return true;
    }
    let mut stopped_by_interrupt = false;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, count.max(1)) {
            let sender = sender.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed)
                    && !interrupt.is_some_and(|flag| flag.load(Ordering::Relaxed))
                {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    // A send fails only once the caller stopped listening.
                    if index >= count || sender.send((index, work(index))).is_err() {
                        return;
                    }
                }
            });
        }
        // The workers hold the only senders left: the loop ends when the last one does.
        drop(sender);
        let mut received = 0;
        loop {
            match receiver.recv_timeout(INTERRUPT_POLL) {
                Ok((index, result)) => {
                    received += 1;
                    if on(index, result).is_break() {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                // The workers may see the flag first and stop: jobs left undone then are
                // the interrupt's, not the end of the work.
                Err(RecvTimeoutError::Disconnected) => {
                    stopped_by_interrupt = received < count && interrupted();
                    break;
                }
            }
            if interrupted() {
                stopped_by_interrupt = true;
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
    });
    stopped_by_interrupt
}

/// [`run`] for jobs that may fail: `on(i, result)` sees each success as it arrives, and may
/// stop the pool with an error of its own; the first error, a job's or `on`'s, stops it (no
/// job starts after it) and is returned.
pub(crate) fn try_run<R: Send, E: Send>(
    interrupt: Option<&AtomicBool>,
    count: usize,
    jobs: usize,
    work: impl Fn(usize) -> Result<R, E> + Sync,
    mut on: impl FnMut(usize, R) -> ControlFlow<E>,
) -> Result<(), E> {
    let mut error = None;
    run(interrupt, count, jobs, work, |index, result| {
        let stop = match result {
            Ok(result) => on(index, result),
            Err(e) => ControlFlow::Break(e),
        };
        match stop {
            ControlFlow::Continue(()) => ControlFlow::Continue(()),
            ControlFlow::Break(e) => {
                error = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    error.map_or(Ok(()), Err)
}

/// [`run`] for jobs that may fail: the results in index order, or the first error to
/// arrive (no job starts after it). `on(i, result)` sees each success as it arrives.
///
/// Once `interrupt` is set, only the results that arrived before it, still in index order.
pub(crate) fn try_collect<R: Send, E: Send>(
    interrupt: Option<&AtomicBool>,
    count: usize,
    jobs: usize,
    work: impl Fn(usize) -> Result<R, E> + Sync,
    mut on: impl FnMut(usize, &R),
) -> Result<Vec<R>, E> {
    let mut results: Vec<Option<R>> = (0..count).map(|_| None).collect();
    try_run(interrupt, count, jobs, work, |index, result| {
        on(index, &result);
        results[index] = Some(result);
        ControlFlow::Continue(())
    })?;
    // Without an error every job ran to the end, unless interrupted.
    Ok(results.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_and_is_reported_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let mut finished = Vec::new();
        run(
            None,
            50,
            4,
            |i| (i * 2, std::thread::current().id()),
            |i, (doubled, worker)| {
                assert_eq!(std::thread::current().id(), caller);
                assert_eq!(doubled, i * 2);
                assert_ne!(worker, caller);
                finished.push(i);
                ControlFlow::Continue(())
            },
        );
        finished.sort_unstable();
        assert_eq!(finished, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn break_stops_handing_out_jobs() {
        let ran = AtomicUsize::new(0);
        // Jobs from 3 on wait until the caller has stopped the pool: what runs after the
        // stop is only what was already running, whatever the timing.
        let stopped = AtomicBool::new(false);
        let mut seen = 0;
        run(
            None,
            1000,
            2,
            |i| {
                while i >= 3 && !stopped.load(Ordering::Relaxed) {
                    std::thread::yield_now();
                }
                ran.fetch_add(1, Ordering::Relaxed)
            },
            |_, _| {
                seen += 1;
                if seen == 3 {
                    stopped.store(true, Ordering::Relaxed);
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            },
        );
        assert_eq!(seen, 3);
        // Jobs 0 to 2, and at most one more per worker.
        assert!(ran.load(Ordering::Relaxed) <= 3 + 2);
    }

    #[test]
    fn results_come_back_in_index_order_or_the_error_does() {
        let mut streamed = 0;
        let results = try_collect(None, 20, 3, Ok::<usize, String>, |i, &r| {
            assert_eq!(i, r);
            streamed += 1;
        });
        assert_eq!(results, Ok((0..20).collect()));
        assert_eq!(streamed, 20);
        let failed = try_collect(
            None,
            20,
            3,
            |i| if i == 7 { Err(i) } else { Ok(i) },
            |_, _| {},
        );
        assert_eq!(failed, Err(7));
        assert_eq!(
            try_collect(None, 0, 3, Ok::<usize, ()>, |_, _| {}),
            Ok(vec![])
        );
    }

    #[test]
    fn an_interrupt_stops_the_pool_and_keeps_what_finished() {
        let interrupt = AtomicBool::new(false);
        // Job 5 sets the flag (as a signal handler would); the jobs after it wait for the
        // flag, so whatever the timing only those already handed out run after it.
        let started = AtomicUsize::new(0);
        let results = try_collect(
            Some(&interrupt),
            1000,
            2,
            |i| {
                started.fetch_add(1, Ordering::Relaxed);
                while i > 5 && !interrupt.load(Ordering::Relaxed) {
                    std::thread::yield_now();
                }
                if i == 5 {
                    interrupt.store(true, Ordering::Relaxed);
                }
                Ok::<usize, ()>(i)
            },
            |_, _| {},
        )
        .unwrap();
        assert!(results.len() < 1000, "{} results", results.len());
        assert!(started.load(Ordering::Relaxed) <= 5 + 1 + 2);
        assert!(results.windows(2).all(|w| w[0] < w[1]));
        // Set before it starts, the pool runs nothing.
        let none = try_collect(Some(&interrupt), 10, 2, Ok::<usize, ()>, |_, _| {});
        assert_eq!(none, Ok(vec![]));
    }
}
